// The libuv-handle transport: the Transport contract's shared cases (transport-cases.ts), plus what
// only the handles do: reads into the thread's shared buffer, writes from the arena's output area
// (pinned while pending, copied when queued), connecting through each address of a name in turn, and
// what a closed handle keeps.

import assert from "node:assert/strict";
import { test } from "node:test";
import { claimOutput, isOutputView, releaseOutput } from "../../src/http/arena.ts";
import type { Transport } from "../../src/http/transport.ts";
import { tcpWrap } from "../../src/http/uv-binding.ts";
import { onHandleClosed, prepareUvTransport, UvTransport } from "../../src/http/uv-transport.ts";
import { delay } from "../helpers/wait.ts";
import { owner, readAll, runTransportCases, transportHarness } from "./transport-cases.ts";

const h = transportHarness("uv");
runTransportCases(h);

test("every chunk a connection reads is a view of the one shared read buffer", async () => {
  const buffers = new Set<ArrayBuffer>();
  const port = await h.listen((t) => {
    t.start(owner({ received: (chunk) => void buffers.add(chunk.buffer as ArrayBuffer) }));
  });
  const sockets = await Promise.all([h.connect(port), h.connect(port)]);
  for (const s of sockets) s.write("x");
  await delay(50);
  for (const s of sockets) s.write("y");
  while (buffers.size === 0) await delay(5);
  await delay(50);
  assert.equal(buffers.size, 1);
});

test("connect tries each address of a name until one answers (::1 refused, then 127.0.0.1)", async () => {
  const dnsp = (await import("node:dns/promises")).default as unknown as {
    lookup: (...args: unknown[]) => Promise<unknown>;
  };
  const realLookup = dnsp.lookup;
  dnsp.lookup = async (host: unknown, options?: unknown) => {
    if (host !== "dual.test") return realLookup(host, options);
    return [
      { address: "::1", family: 6 },
      { address: "127.0.0.1", family: 4 },
    ];
  };
  try {
    const port = await h.server((s) => s.end("hi"));
    const outcome = await new Promise<string>((resolve) => {
      let got = "";
      const t = UvTransport.connect("dual.test", port, {
        received: (chunk) => {
          got += chunk.toString();
        },
        peerEnded: () => t.destroy(),
        drained() {},
        closed: () => resolve(`${got}|${t.error}`),
      });
    });
    assert.equal(outcome, "hi|");
  } finally {
    dnsp.lookup = realLookup;
  }
});

test("an output-area write left pending pins the area until it completes, and its bytes arrive intact", async () => {
  let transport: Transport | null = null;
  const port = await h.listen((t) => {
    transport = t;
    t.start(owner({}));
  });
  const s = await h.connect(port);
  s.pause();
  while (transport === null) await delay(5);
  const t = transport as Transport;
  // Fill the kernel's buffers with ordinary writes, then write one message from the output area.
  const filler = Buffer.alloc(256 * 1024, 0x2e);
  let fillerBytes = 0;
  while (t.write(filler)) fillerBytes += filler.length;
  fillerBytes += filler.length;
  await delay(50);
  const out = t.outputBuffer(1000);
  assert.ok(isOutputView(out), "the output area while nothing is queued or held");
  out.fill(0x41);
  t.write(out);
  assert.equal(claimOutput(10), null, "pinned while libuv holds it");
  const other = t.outputBuffer(10);
  assert.ok(!isOutputView(other), "others get a buffer of their own meanwhile");
  s.resume();
  const bytes = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    s.on("data", (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size === fillerBytes + 1000) resolve(Buffer.concat(chunks));
    });
  });
  assert.equal(bytes.subarray(fillerBytes).toString("latin1"), "A".repeat(1000));
  await delay(20);
  const again = claimOutput(10);
  assert.ok(again !== null, "free again once the write completed");
  releaseOutput();
});

test("an output-area write still pending when the connection is destroyed unpins the area", async () => {
  let transport: Transport | null = null;
  let closed = false;
  const port = await h.listen((t) => {
    transport = t;
    t.start(owner({ closed: () => void (closed = true) }));
  });
  const s = await h.connect(port);
  s.pause();
  while (transport === null) await delay(5);
  const t = transport as Transport;
  const filler = Buffer.alloc(256 * 1024, 0x2e);
  while (t.write(filler));
  await delay(50);
  const out = t.outputBuffer(500);
  assert.ok(isOutputView(out));
  t.write(out);
  assert.equal(claimOutput(10), null);
  t.destroy();
  while (!closed) await delay(5);
  const again = claimOutput(10);
  assert.ok(again !== null, "the cancelled write gave the area back");
  releaseOutput();
});

test("an output-area buffer written while corked is queued as a copy: the area is free at once", async () => {
  let transport: Transport | null = null;
  const port = await h.listen((t) => {
    transport = t;
    t.start(owner({}));
  });
  const s = await h.connect(port);
  while (transport === null) await delay(5);
  const t = transport as Transport;
  const out = claimOutput(5)!;
  out.write("hello", "latin1");
  t.cork();
  t.write(out);
  const next = claimOutput(5)!;
  assert.ok(next !== null, "the queued write took a copy");
  next.write("XXXXX", "latin1");
  releaseOutput();
  t.uncork();
  t.end();
  assert.equal((await readAll(s)).toString("latin1"), "hello");
});

test("a closed handle keeps only the shared close callback, nothing of its connection", async () => {
  assert.equal(prepareUvTransport(), "");
  const handle = new tcpWrap.TCP(tcpWrap.constants.SOCKET);
  const transport = new UvTransport(handle);
  const closed = new Promise<void>((resolve) => {
    transport.owner = owner({ closed: () => resolve() });
  });
  transport.destroy();
  await closed;
  assert.equal(handle.transport, null);
  // Node keeps the close callback on the handle object, which outlives the connection.
  const record = handle as unknown as Record<symbol, unknown>;
  const kept = Object.getOwnPropertySymbols(handle)
    .map((key) => record[key])
    .filter((value) => typeof value === "function");
  assert.deepEqual(kept, [onHandleClosed]);
});
