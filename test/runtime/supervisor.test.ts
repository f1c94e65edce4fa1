// The supervisor in this process, with real worker threads: start resolves once every worker listens
// (port 0 becomes one port all of them share), the banner names the threads and the transport, a port
// in use or an unknown PORTICO_TRANSPORT is refused in one line before any worker starts, a crashed
// worker is replaced with a notice, a reload replaces every worker or keeps them when the new
// configuration is invalid, and drain() stops them all.

import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { type Config, ConfigError, parseCommandLine } from "../../src/config/load.ts";
import { Supervisor } from "../../src/runtime/supervisor.ts";
import { get } from "../helpers/raw.ts";
import { makeSite } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const running: Supervisor[] = [];
after(async () => {
  for (const s of running) await s.drain();
});

function configFor(args: readonly string[]): Config {
  const command = parseCommandLine([...args, "-q", "--shutdown-grace", "1s", "0"]);
  assert.equal(command.kind, "serve");
  return (command as { config: Config }).config;
}

/** A supervisor whose notices and banner arguments are recorded instead of printed. */
function supervisor(config: Config, reload?: () => Config): { s: Supervisor; notices: string[]; banners: string[] } {
  const notices: string[] = [];
  const banners: string[] = [];
  const s = new Supervisor(config, {
    banner: (urls, threads, transport) => {
      banners.push(`${urls.join(" ")} ${threads} ${transport}`);
      return `supervisor test: ${urls.join(" ")}`;
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
  const { s, banners } = supervisor(configFor(["--root", root, "-t", "2"]));
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
    const config = { ...configFor(["--root", makeSite()]), port };
    await assert.rejects(
      supervisor(config).s.start(),
      new RegExp(`^Error: port ${port} is already in use \\(\\*:${port}\\)$`),
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
      supervisor(configFor(["--root", makeSite()])).s.start(),
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
  const { s, notices } = supervisor(configFor(["--root", makeSite({ "f.txt": "ok" }), "-t", "1"]));
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

test("reload replaces every worker; an invalid configuration keeps the running ones", async () => {
  const first = makeSite({ "which.txt": "first\n" });
  const second = makeSite({ "which.txt": "second\n" });
  let next: () => Config = () => configFor(["--root", second, "-t", "2"]);
  const { s, notices } = supervisor(configFor(["--root", first, "-t", "1"]), () => next());
  await s.start();
  assert.equal((await get(s.port, "/which.txt")).body.toString(), "first\n");
  await s.reload();
  assert.equal(notices.at(-1), "portico: reloaded the configuration (2 threads)");
  // Until the old workers close their listeners a request may reach one (and, as it closes, be reset
  // or closed unanswered, as a client would see it): the answer settles on the new configuration.
  const fromNew = (): Promise<boolean> =>
    get(s.port, "/which.txt").then(
      (res) => res.body.toString() === "second\n",
      () => false,
    );
  await waitFor(fromNew, "the new workers to answer", { everyMs: 50 });
  next = () => {
    throw new ConfigError("--root: /nonexistent does not exist or cannot be read");
  };
  await s.reload();
  assert.equal(
    notices.at(-1),
    "portico: reload failed: --root: /nonexistent does not exist or cannot be read; keeping the running configuration",
  );
  await waitFor(fromNew, "the running workers to answer", { everyMs: 50 });
  await s.drain();
});
