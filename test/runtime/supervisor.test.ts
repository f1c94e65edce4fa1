// The supervisor in this process, with real worker threads: start resolves once every worker listens
// (port 0 becomes one port all of them share), the banner names the threads and the transport, a port
// in use or an unknown PORTICO_TRANSPORT is refused in one line before any worker starts, a crashed
// worker is replaced with a notice, a reload hands the new configuration to the running workers (and
// starts more when it asks for them) or keeps the running one when the new one is invalid, and
// drain() stops them all.

import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { ConfigError, parseCommandLine, type ServerModel } from "../../src/config/load.ts";
import { localUrl } from "../../src/runtime/banner.ts";
import { Supervisor } from "../../src/runtime/supervisor.ts";
import { get } from "../helpers/raw.ts";
import { makeSite } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const running: Supervisor[] = [];
after(async () => {
  for (const s of running) await s.drain();
});

async function configFor(args: readonly string[], port = 0): Promise<ServerModel> {
  const command = await parseCommandLine([...args, "-q", "--shutdown-grace", "1s", String(port)]);
  assert.equal(command.kind, "serve");
  return (command as { config: ServerModel }).config;
}

/** A supervisor whose notices and banner arguments are recorded instead of printed. */
function supervisor(
  config: ServerModel,
  reload?: () => Promise<ServerModel>,
): { s: Supervisor; notices: string[]; banners: string[] } {
  const notices: string[] = [];
  const banners: string[] = [];
  const s = new Supervisor(config, {
    banner: (listeners, threads, transport) => {
      const urls = listeners.map(localUrl).join(" ");
      banners.push(`${urls} ${threads} ${transport}`);
      return `supervisor test: ${urls}`;
    },
    notice: (line) => notices.push(line),
    version: "0.0.0-test",
    ...(reload !== undefined ? { reload } : {}),
  });
  running.push(s);
  return { s, notices, banners };
}

test("start resolves once every worker listens on one port; the banner names threads and transport", async () => {
  const root = makeSite({ "a.txt": "from a worker\n" });
  const { s, banners } = supervisor(await configFor(["--root", root, "-t", "2"]));
  await s.start();
  assert.ok(s.port > 0);
  assert.match(banners[0]!, new RegExp(`^http://localhost:${s.port}/ 2 (uv|net)`));
  for (let i = 0; i < 6; i++) assert.equal((await get(s.port, "/a.txt")).body.toString(), "from a worker\n");
  await s.drain();
  await assert.rejects(get(s.port, "/a.txt"), "nothing listens after drain()");
});

test("a port in use is refused before any worker starts, saying which", async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, resolve));
  const { port } = taken.address() as net.AddressInfo;
  try {
    const config = await configFor(["--root", makeSite()], port);
    await assert.rejects(
      supervisor(config).s.start(),
      new RegExp(`^Error: cannot listen on ${port}: port ${port} is already in use \\(\\*:${port}\\)$`),
    );
  } finally {
    taken.close();
  }
});

test("an unknown PORTICO_TRANSPORT is refused at start", async () => {
  const previous = process.env.PORTICO_TRANSPORT;
  process.env.PORTICO_TRANSPORT = "fast";
  try {
    await assert.rejects(
      supervisor(await configFor(["--root", makeSite()])).s.start(),
      /PORTICO_TRANSPORT: expected auto, uv or net, got "fast"/,
    );
  } finally {
    if (previous === undefined) delete process.env.PORTICO_TRANSPORT;
    else process.env.PORTICO_TRANSPORT = previous;
  }
});

test("a worker that crashes is replaced, with a notice, and the port keeps serving", async () => {
  // Workers copy the environment when they start: set for this supervisor only.
  process.env.PORTICO_FAULT_CRASH_PATH = "/__crash";
  const { s, notices } = supervisor(await configFor(["--root", makeSite({ "f.txt": "ok" }), "-t", "1"]));
  try {
    await s.start();
  } finally {
    delete process.env.PORTICO_FAULT_CRASH_PATH;
  }
  await get(s.port, "/__crash").catch(() => undefined);
  await waitFor(() => notices.some((n) => /worker 0 exited \(code \d+\); restarting in 100 ms/.test(n)), "the notice");
  await waitFor(
    () =>
      get(s.port, "/f.txt").then(
        (res) => res.status === 200,
        () => false,
      ),
    "the replacement to serve",
    { everyMs: 50 },
  );
  await s.drain();
});

test("reload hands the configuration to the running workers; an invalid one keeps them as they are", async () => {
  const first = makeSite({ "which.txt": "first\n" });
  const second = makeSite({ "which.txt": "second\n" });
  let next: () => Promise<ServerModel> = () => configFor(["--root", second, "-t", "2"]);
  const { s, notices } = supervisor(await configFor(["--root", first, "-t", "1"]), () => next());
  await s.start();
  assert.equal((await get(s.port, "/which.txt")).body.toString(), "first\n");
  await s.reload();
  assert.equal(notices.at(-1), "portico: reloaded the configuration (2 threads)");
  // In place: the commit has happened when reload() resolves, and no listener closed on the way.
  for (let i = 0; i < 6; i++) assert.equal((await get(s.port, "/which.txt")).body.toString(), "second\n");
  next = () => Promise.reject(new ConfigError("--root: /nonexistent does not exist or cannot be read"));
  await s.reload();
  assert.equal(
    notices.at(-1),
    "portico: reload failed: --root: /nonexistent does not exist or cannot be read; keeping the running configuration",
  );
  for (let i = 0; i < 6; i++) assert.equal((await get(s.port, "/which.txt")).body.toString(), "second\n");
  await s.drain();
});
