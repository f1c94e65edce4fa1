// `node bench/instructions.ts --server portico|portico-sites|nginx|node-h2 [--proto h1|h2c] [--tls]
// [--new-conn] [--proxy [--keepalive N]] [--path P] [--header 'Name: value']… [--body-bytes N] [--keep DIR]`:
// user-space instructions per request under `valgrind --tool=callgrind`, a figure that stays put on a
// loaded, shared machine where requests per second do not. The server runs under callgrind with
// instrumentation off, is warmed up by an h2load run, then instrumentation is switched on for exactly
// --requests requests (h2load -n) and the total is divided by them. With --proxy the server forwards
// to an nginx backend that runs outside valgrind; portico-sites runs the example configuration file
// (its proxied route pointing at such a backend). --header goes to h2load as it is: the Host is
// `--header ':authority: shop.test'` (a Host field would be a second one). --tls serves HTTPS with
// one ECDSA P-256 certificate (h1: HTTP/1.1 over TLS; h2c: h2 by ALPN). --new-conn (implies --tls):
// a new TLS connection per request, full handshakes, as bench row https-new-conn makes them
// (bench/tls/new-conn-client.ts, --connections at once). --keep DIR keeps the
// callgrind files for callgrind_annotate. --body-bytes N: each request carries an N-byte body (h2load -d:
// a POST, which a static root answers 405 and the connection discards; `--header ':method: PUT'
// --extra=--writable` makes it an upload a handler reads). Not a load test: the figures compare designs.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { FILES } from "./lib/docroot.ts";
import { nginxConfig } from "./lib/nginx-conf.ts";
import { freePort, sleep, tlsFiles } from "./lib/servers.ts";
import { writeExampleConfig } from "./lib/sites-config.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const { values: opts } = parseArgs({
  options: {
    server: { type: "string", default: "portico" },
    proto: { type: "string", default: "h1" },
    proxy: { type: "boolean", default: false },
    path: { type: "string", default: FILES.small },
    requests: { type: "string", default: "20000" },
    warm: { type: "string", default: "20000" },
    connections: { type: "string", default: "50" },
    streams: { type: "string", default: "10" },
    // Idle upstream connections kept (--proxy): 64 as in the bench, or enough for every stream in flight.
    keepalive: { type: "string", default: "64" },
    extra: { type: "string", multiple: true, default: [] },
    header: { type: "string", multiple: true, default: [] },
    tls: { type: "boolean", default: false },
    "new-conn": { type: "boolean", default: false },
    "body-bytes": { type: "string" },
    keep: { type: "string" },
  },
});

const requests = Number(opts.requests);
const node = path.join(REPO, "node_modules/.bin/node");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "portico-instr-"));
fs.chmodSync(work, 0o755);
// The files the figures use (bench/lib/docroot.ts makes the same ones, and a 100 MiB file not needed here).
const docroot = path.join(work, "root");
fs.mkdirSync(docroot, { mode: 0o755 });
const line = "The quick brown fox jumps over the lazy dog 0123456789.\n";
fs.writeFileSync(path.join(docroot, "1k.txt"), line.repeat(19).slice(0, 1024));
fs.writeFileSync(path.join(docroot, "1m.bin"), Buffer.alloc(1 << 20, 0x61));
const bodyFile = path.join(work, "body.bin");
if (opts["body-bytes"] !== undefined) fs.writeFileSync(bodyFile, Buffer.alloc(Number(opts["body-bytes"]), 0x62));
const scheme = opts.tls ? "https" : "http";
const children: ChildProcess[] = [];
function cleanUp(): void {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(work, { recursive: true, force: true });
}
process.once("SIGINT", () => {
  cleanUp();
  process.exit(130);
});
process.once("SIGTERM", () => {
  cleanUp();
  process.exit(143);
});

function start(argv: string[], name: string): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err = (err + d).slice(-4000)));
  child.once("exit", (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}\n${err}\n`);
  });
  children.push(child);
  return child;
}

function nginxArgv(
  port: number,
  extra: Partial<Parameters<typeof nginxConfig>[0]>,
  h2c = false,
  tls: { cert: string; key: string } | undefined = undefined,
): string[] {
  const dir = fs.mkdtempSync(path.join(work, "nginx-"));
  let conf = nginxConfig({ root: docroot, port, workDir: dir, workers: 1, accessLog: "", h2c, tls, ...extra });
  // One process (no master) so callgrind follows the worker that serves.
  conf = conf.replace("master_process on;", "master_process off;");
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  return ["nginx", "-p", dir, "-c", path.join(dir, "nginx.conf")];
}

async function waitPort(port: number, h2: boolean, secure = false): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      execFileSync("curl", [
        "-sfk",
        "-o",
        "/dev/null",
        ...(h2 && !secure ? ["--http2-prior-knowledge"] : []),
        `${secure ? "https" : "http"}://127.0.0.1:${port}${FILES.small}`,
      ]);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`nothing answers on ${port}`);
}

function load(port: number, n: number): string {
  if (opts["new-conn"]) {
    const client = path.join(REPO, "bench/tls/new-conn-client.ts");
    const url = `https://127.0.0.1:${port}${opts.path}`;
    const out = execFileSync(node, [client, url, String(n), opts.connections!], { encoding: "utf8" }).trim();
    if (out !== `${n} succeeded, 0 failed`) throw new Error(`new-conn client: ${out}`);
    return out;
  }
  const args = ["-n", String(n), "-c", opts.connections!];
  if (opts.proto === "h1") args.push("--h1");
  else args.push("-m", opts.streams!);
  for (const h of opts.header!) args.push("-H", h);
  if (opts["body-bytes"] !== undefined) args.push("-d", bodyFile);
  const out = execFileSync("h2load", [...args, `${scheme}://127.0.0.1:${port}${opts.path}`], { encoding: "utf8" });
  const line = /requests: .*/.exec(out)?.[0] ?? out;
  // A POST to a static file is answered 405, which h2load counts as failed: a body run asks only that
  // every request got its answer.
  const answered = opts["body-bytes"] !== undefined ? `${n} done` : `${n} succeeded`;
  if (!line.includes(answered) || !line.includes(" 0 errored")) throw new Error(`h2load: ${out}`);
  return line;
}

try {
  const h2 = opts.proto === "h2c";
  if (opts["new-conn"]) opts.tls = true;
  const tls = opts.tls ? tlsFiles(work) : undefined;
  let upstream: string | undefined;
  if (opts.proxy || opts.server === "portico-sites") {
    const backendPort = await freePort();
    start(nginxArgv(backendPort, {}), "backend");
    await waitPort(backendPort, false);
    upstream = `127.0.0.1:${backendPort}`;
  }
  const port = await freePort();
  let argv: string[];
  switch (opts.server) {
    case "portico":
      argv = [node, path.join(REPO, "src/cli.ts"), "-t", "1", "--quiet", "--host", "127.0.0.1"];
      // Under valgrind everything is ~50x slower: no timeout may cut a connection the load still uses.
      argv.push("--keep-alive-timeout", "10m", "--headers-timeout", "10m", "--send-timeout", "10m");
      argv.push(...(upstream !== undefined ? ["--proxy", `http://${upstream}`] : ["--root", docroot]));
      if (upstream !== undefined) {
        argv.push("--upstream-keepalive", opts.keepalive!);
        argv.push("--proxy-connect-timeout", "10m", "--proxy-response-timeout", "10m", "--proxy-idle-timeout", "10m");
      }
      if (h2 && tls === undefined) argv.push("--h2c");
      if (tls !== undefined) argv.push("--cert", tls.cert, "--key", tls.key);
      argv.push(...opts.extra!, String(port));
      break;
    case "portico-sites": {
      const file = writeExampleConfig(REPO, work, docroot, port, upstream!);
      argv = [node, path.join(REPO, "src/cli.ts"), "-c", file, "-t", "1", "--quiet"];
      // The same timeouts as the portico variant: the figures compare routing, nothing else.
      argv.push("--keep-alive-timeout", "10m", "--headers-timeout", "10m", "--send-timeout", "10m", ...opts.extra!);
      break;
    }
    case "node-h2":
      argv = [node, path.join(REPO, "bench/servers/node-h2.ts"), docroot, String(port)];
      break;
    case "nginx":
      argv = nginxArgv(
        port,
        upstream !== undefined ? { proxyPass: upstream, keepalive: Number(opts.keepalive) } : {},
        h2,
        tls,
      );
      break;
    default:
      throw new Error(`unknown server ${opts.server}`);
  }
  const out = path.join(work, "callgrind.out");
  const server = start(
    ["valgrind", "--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${out}.%p`, ...argv],
    opts.server!,
  );
  await waitPort(port, h2, tls !== undefined);
  load(port, Number(opts.warm));
  const pid = String(server.pid);
  execFileSync("callgrind_control", ["-i", "on", pid], { stdio: "ignore" });
  const line = load(port, requests);
  execFileSync("callgrind_control", ["-i", "off", pid], { stdio: "ignore" });
  execFileSync("callgrind_control", ["-d", pid], { stdio: "ignore" });
  await sleep(500);
  let total = 0;
  for (const name of fs.readdirSync(work)) {
    if (!name.startsWith("callgrind.out.")) continue;
    const text = fs.readFileSync(path.join(work, name), "utf8");
    const m = /^totals: (\d+)/m.exec(text) ?? /^summary: (\d+)/m.exec(text);
    if (m !== null) total += Number(m[1]);
    if (opts.keep !== undefined) {
      fs.mkdirSync(opts.keep, { recursive: true });
      fs.copyFileSync(path.join(work, name), path.join(opts.keep, name));
    }
  }
  process.stdout.write(
    `${opts.server} ${opts.proto}${opts.tls ? " tls" : ""}${opts["body-bytes"] !== undefined ? ` body ${opts["body-bytes"]}` : ""}${opts["new-conn"] ? " new-conn" : ""}${opts.proxy ? " proxy" : ""} ${opts.path}: ${(total / requests).toFixed(0)} instructions per request (${requests} requests; ${line})\n`,
  );
} finally {
  cleanUp();
}
