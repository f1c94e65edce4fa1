// A first run as a new user meets it, end to end: the banner (local and network URLs, the note that the
// server is reachable, colours only when wanted), no output before the banner, --cors for local
// development over HTTP/1.1 and h2c, and options of another mode refused with a hint.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { networkAddresses } from "../../src/runtime/banner.ts";
import { END_HEADERS, END_STREAM, encodeFields, H2Client, header, headers, requestFields } from "../helpers/h2.ts";
import { get, request } from "../helpers/raw.ts";
import { makeSite, runCli, startServer } from "../helpers/server.ts";
import { delay, waitFor } from "../helpers/wait.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const site = makeSite({ "a.txt": "hello\n" });
/** The environment without colour settings of the caller's own. */
const { NO_COLOR: _n, FORCE_COLOR: _f, ...plainEnv } = process.env;

test("on every interface the banner lists the local URL, every network URL and says the server is reachable", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "-q"], env: plainEnv });
  try {
    const out = server.stdout();
    const lines = out.split("\n");
    assert.match(lines[0]!, /^portico \d+\.\d+\.\d+ serving .* \(1 thread, transport [^)]+\)+$/);
    assert.equal(lines[1], `  Local:   http://localhost:${server.port}/`);
    // The server's wildcard is "::" where the machine has IPv6, else 0.0.0.0 (IPv4 addresses only).
    const v6 = networkAddresses("::", os.networkInterfaces());
    const v4 = networkAddresses("0.0.0.0", os.networkInterfaces());
    const shown = lines.filter((l) => l.startsWith("  Network: ")).map((l) => l.slice("  Network: ".length));
    const url = (a: string): string => `http://${a.includes(":") ? `[${a}]` : a}:${server.port}/`;
    assert.ok(
      JSON.stringify(shown) === JSON.stringify(v6.map(url)) || JSON.stringify(shown) === JSON.stringify(v4.map(url)),
      out,
    );
    assert.match(
      out,
      /\n {2}Listening on every interface: other machines on the network can reach this server \(--host 127\.0\.0\.1 keeps it local\)\.\n/,
    );
    assert.doesNotMatch(out, /\x1b\[/, "no colours when stdout is not a terminal");
  } finally {
    await server.stop();
  }
});

test("bound to one address the banner shows that URL only", async () => {
  const server = await startServer({ args: ["--root", site, "--host", "127.0.0.1", "-t", "1", "-q"], env: plainEnv });
  try {
    const lines = server.stdout().split("\n");
    assert.equal(lines[1], `  Local:   http://127.0.0.1:${server.port}/`);
    assert.doesNotMatch(server.stdout(), /Network:|every interface/);
  } finally {
    await server.stop();
  }
});

test("FORCE_COLOR colours the banner; NO_COLOR never lets it", async () => {
  const coloured = await startServer({
    args: ["--root", site, "--host", "127.0.0.1", "-t", "1", "-q"],
    env: { ...plainEnv, FORCE_COLOR: "1" },
  });
  const plain = await startServer({
    args: ["--root", site, "--host", "127.0.0.1", "-t", "1", "-q"],
    env: { ...plainEnv, FORCE_COLOR: "1", NO_COLOR: "1" },
  });
  try {
    assert.match(coloured.stdout(), /\x1b\[36mhttp:\/\/127\.0\.0\.1:\d+\/\x1b\[39m/);
    assert.doesNotMatch(plain.stdout(), /\x1b\[/);
  } finally {
    await coloured.stop();
    await plain.stop();
  }
});

/** A port free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test("log lines and a worker's output never come before the banner, even for a request served before it", async () => {
  // The first worker to load the app listens at once; the second takes seconds to load it, so the
  // banner waits for it while the first already serves the request below.
  const dir = makeSite({
    "app.mjs": `import fs from "node:fs";
const marker = new URL("./first-loaded", import.meta.url);
if (fs.existsSync(marker)) await new Promise((resolve) => setTimeout(resolve, 3000));
else fs.writeFileSync(marker, "");
console.log("the app module was loaded");
export default { fetch: () => new Response("from the app\\n") };
`,
  });
  const port = await freePort();
  // stdout and stderr (where the access log goes) share one pipe: the order between them is kept.
  const child = spawn(
    "sh",
    [
      "-c",
      'exec "$@" 2>&1',
      "sh",
      process.execPath,
      CLI,
      "--app",
      path.join(dir, "app.mjs"),
      "--host",
      "127.0.0.1",
      "-t",
      "2",
      String(port),
    ],
    { env: plainEnv, stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  try {
    let status = 0;
    for (const deadline = Date.now() + 60_000; status === 0 && Date.now() < deadline; ) {
      try {
        status = (
          await request(port, "GET /early HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { timeoutMs: 30_000 })
        ).status;
      } catch {
        await delay(20);
      }
    }
    assert.equal(status, 200, out);
    await waitFor(
      () => /"GET \/early HTTP\/1\.1" 200/.test(out) && out.includes("Local:"),
      "the log line and the banner",
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor(() => (out.match(/the app module was loaded/g) ?? []).length === 2, "both workers' app output", {
      timeoutMs: 30_000,
    });
    const banner = out.indexOf("  Local:   http://127.0.0.1:");
    assert.ok(banner > 0, out);
    assert.ok(out.indexOf('"GET /early HTTP/1.1" 200') > banner, `the log line after the banner:\n${out}`);
    assert.ok(out.indexOf("the app module was loaded") > banner, `the app's output after the banner:\n${out}`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("--cors: any origin gets Access-Control-Allow-Origin: *, and a preflight 204 over HTTP/1.1 and h2c", async () => {
  const server = await startServer({ args: ["--root", site, "--cors", "--h2c", "-t", "1", "-q"] });
  try {
    const simple = await get(server.port, "/a.txt", { Origin: "http://app.test:5173" });
    assert.equal(simple.status, 200);
    assert.equal(simple.headers["access-control-allow-origin"], "*");
    assert.equal(simple.headers["access-control-allow-credentials"], undefined, "no credentials with *");
    assert.doesNotMatch(simple.headers.vary ?? "", /Origin/, "one answer for every origin: nothing to vary");
    const preflight = await get(
      server.port,
      "/a.txt",
      {
        Origin: "http://app.test:5173",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type, x-token",
      },
      "OPTIONS",
    );
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "*");
    assert.equal(preflight.headers["access-control-allow-methods"], "GET, HEAD, POST, PUT, PATCH, DELETE");
    assert.equal(preflight.headers["access-control-allow-headers"], "content-type, x-token");
    assert.equal(preflight.headers["access-control-max-age"], "600");
    assert.match(preflight.headers.vary ?? "", /Access-Control-Request-Headers/);
    // A plain OPTIONS (no preflight) and a request without Origin are not CORS requests.
    assert.equal((await get(server.port, "/a.txt")).headers["access-control-allow-origin"], undefined);

    const client = await H2Client.connect(server.port);
    try {
      const h2 = await client.get(1, "/a.txt", [["origin", "http://app.test:5173"]]);
      assert.equal(h2.status, 200);
      assert.equal(header(h2, "access-control-allow-origin"), "*");
      client.send(
        headers(
          3,
          encodeFields(
            requestFields(
              "/a.txt",
              [
                ["origin", "http://app.test:5173"],
                ["access-control-request-method", "DELETE"],
              ],
              "OPTIONS",
            ),
          ),
          END_HEADERS | END_STREAM,
        ),
      );
      const pre = await client.log.until(() => client.log.response(3), 10_000, "the h2 preflight's response");
      assert.equal(pre.status, 204);
      assert.equal(header(pre, "access-control-allow-methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
      assert.equal(header(pre, "access-control-max-age"), "600");
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
});

test("options of another mode are refused with one line and a hint", async () => {
  const cases: Array<[string[], string]> = [
    [["--upstream", "127.0.0.1:9"], 'portico: --upstream applies to "portico tcp" (did you mean --proxy?)\n'],
    [["--listen", "8080"], 'portico: --listen applies to "portico tcp" (did you mean -p/--port or --host?)\n'],
    [
      ["--idle-timeout", "5s"],
      'portico: --idle-timeout applies to "portico tcp" (did you mean --keep-alive-timeout or --proxy-idle-timeout?)\n',
    ],
    [
      ["--lb", "round-robin"],
      'portico: --lb applies to proxied requests: add --proxy [PREFIX=]URL (or use "portico tcp")\n',
    ],
    [
      ["--health-path", "/healthz"],
      'portico: --health-path applies to proxied requests: add --proxy [PREFIX=]URL (or use "portico tcp")\n',
    ],
    [
      ["tcp", "--listen", "0", "--upstream", "127.0.0.1:9", "--proxy", "http://x"],
      'portico: --proxy applies to "portico" (HTTP), not "portico tcp" (did you mean --upstream?)\n',
    ],
  ];
  for (const [args, message] of cases) {
    const run = await runCli([...args, "--root", site]);
    assert.equal(run.code, 1, args.join(" "));
    assert.equal(run.stderr, message);
    assert.equal(run.stdout, "");
  }
});
