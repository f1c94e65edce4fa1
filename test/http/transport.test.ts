// Choosing the transport: auto takes the libuv handles where their bindings have the shape needed and
// node:net where they do not (a refused or deprecated process.binding), PORTICO_TRANSPORT decides in
// auto mode, an explicit "uv" that cannot run is an error naming why, and listeners and connections
// follow the choice. The contract itself is tested per transport (transport-cases.ts).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { after, test } from "node:test";
import { TransportError } from "../../src/http/errors.ts";
import { NetTransport } from "../../src/http/net-transport.ts";
import { connectTransport, openListener, selectTransport, type Transport } from "../../src/http/transport.ts";
import { UvTransport } from "../../src/http/uv-transport.ts";

const TRANSPORT_TS = new URL("../../src/http/transport.ts", import.meta.url).pathname;
const closers: Array<() => unknown> = [];
after(() => {
  for (const c of closers) c();
});

/** Runs selectTransport(auto) and selectTransport(uv) in a child Node started with `flags`. */
function selectUnder(flags: readonly string[]): { stdout: string; stderr: string; status: number | null } {
  const script = [
    `import { selectTransport } from ${JSON.stringify(TRANSPORT_TS)};`,
    "const show = (c) => ('code' in c ? 'error ' + c.code + ': ' + c.message : c.kind + ' (' + c.reason + ')');",
    "console.log(show(selectTransport('auto', undefined)));",
    "console.log(show(selectTransport('uv', undefined)));",
  ].join("\n");
  const child = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return { stdout: child.stdout, stderr: child.stderr, status: child.status };
}

test("auto takes the handles where the bindings fit; PORTICO_TRANSPORT decides in auto mode only", () => {
  assert.deepEqual(selectTransport("auto", undefined), { kind: "uv", reason: "" });
  assert.deepEqual(selectTransport("auto", "net"), { kind: "net", reason: "" });
  assert.deepEqual(selectTransport("auto", "uv"), { kind: "uv", reason: "" });
  assert.deepEqual(selectTransport("uv", "net"), { kind: "uv", reason: "" });
  assert.deepEqual(selectTransport("net", "uv"), { kind: "net", reason: "" });
  const bad = selectTransport("auto", "libuv");
  assert.ok(bad instanceof TransportError);
  assert.equal(bad.code, "TRANSPORT_UNKNOWN");
  assert.match(bad.message, /PORTICO_TRANSPORT: expected auto, uv or net, got "libuv"/);
});

test("where process.binding is refused (--permission), auto runs on net and uv is an error saying why", () => {
  const { stdout, status } = selectUnder(["--permission", "--allow-fs-read=*"]);
  assert.equal(status, 0);
  assert.equal(
    stdout,
    "net (process.binding refused (ERR_ACCESS_DENIED))\n" +
      "error TRANSPORT_UNAVAILABLE: the uv transport cannot run here: process.binding refused (ERR_ACCESS_DENIED)\n",
  );
});

test("under --pending-deprecation, even with --throw-deprecation, auto runs on net and nothing is printed or thrown", () => {
  for (const flags of [["--pending-deprecation"], ["--pending-deprecation", "--throw-deprecation"]]) {
    const { stdout, stderr, status } = selectUnder(flags);
    assert.equal(status, 0, flags.join(" "));
    assert.equal(stderr, "", flags.join(" "));
    assert.match(stdout, /^net \(process\.binding is deprecated under --pending-deprecation\)\n/);
  }
});

test("listeners and connections follow the choice", async () => {
  for (const [kind, expected] of [
    ["net", NetTransport],
    ["uv", UvTransport],
  ] as const) {
    selectTransport(kind);
    const accepted = new Promise<Transport>((resolve) => {
      void openListener({ port: 0, host: "127.0.0.1" }, (t) => {
        resolve(t);
        t.destroy();
      }).then((l) => {
        closers.push(() => l.close());
        const s = net.connect(l.address().port, "127.0.0.1");
        s.on("error", () => {});
        closers.push(() => s.destroy());
      });
    });
    assert.ok((await accepted) instanceof expected, kind);
    const outgoing = connectTransport("127.0.0.1", 9, {
      received() {},
      peerEnded() {},
      drained() {},
      closed() {},
    });
    assert.ok(outgoing instanceof expected, kind);
    outgoing.destroy();
  }
});
