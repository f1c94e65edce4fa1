// Unit tests of how a connection ends: the graceful close and its linger deadline, the close right
// after a response, the bound on bytes dropped while lingering, hand-overs and the release.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import diagnosticsChannel from "node:diagnostics_channel";
import { test } from "node:test";
import { Sweeper } from "../../src/common/sweeper.ts";
import type { ConnectionContext, ServerConnection } from "../../src/http/connection-context.ts";
import { ConnectionEnd, type EndHost } from "../../src/http/connection-end.ts";
import { H1Reader } from "../../src/http/h1-reader.ts";
import type { BodySink, Request } from "../../src/http/request.ts";
import type { Response } from "../../src/http/response.ts";
import type { Transport } from "../../src/http/transport.ts";
import { TEST_ENGINE_OPTIONS } from "../helpers/engine-options.ts";
import { FakeTransport } from "../helpers/fake-transport.ts";

class Host implements EndHost {
  deadline = 0;
  remoteAddress = "127.0.0.1";
  remotePort = 40000;
  localPort = 8080;
  drain(): void {}
  destroy(): void {}
  collectResponses(_out: Response[]): void {}
  onDeadline(): void {}
  startBody(_req: Request, _sink: BodySink): void {}
  resumeBody(_req: Request): void {}
}

function setUp(upgradeToH2?: ConnectionContext["upgradeToH2"]): {
  end: ConnectionEnd;
  reader: H1Reader;
  host: Host;
  transport: FakeTransport;
  closedConnections: ServerConnection[];
  sweeper: Sweeper;
} {
  const transport = new FakeTransport();
  const host = new Host();
  const reader = new H1Reader(transport, host, TEST_ENGINE_OPTIONS);
  const closedConnections: ServerConnection[] = [];
  const sweeper = new Sweeper();
  const ctx: ConnectionContext = {
    options: TEST_ENGINE_OPTIONS,
    handler: { handle: () => false },
    sweeper,
    closing: false,
    connectionClosed: (c) => closedConnections.push(c),
    ...(upgradeToH2 !== undefined ? { upgradeToH2 } : {}),
  };
  sweeper.add(host);
  return { end: new ConnectionEnd(transport, reader, host, ctx), reader, host, transport, closedConnections, sweeper };
}

test("a graceful close sends FIN, drops what is buffered and keeps reading; the linger time starts once FIN is out", () => {
  const { end, reader, host, transport } = setUp();
  reader.append(Buffer.alloc((1 << 20) + 1));
  reader.hold();
  end.linger({ ...TEST_ENGINE_OPTIONS, sendTimeoutMs: 1_000_000, lingerMs: 1 });
  assert.equal(reader.empty, true);
  assert.deepEqual(transport.calls, ["pause", "resume", "end"]);
  const sending = host.deadline;
  transport.endCallback!();
  assert.ok(host.deadline < sending, "the (shorter) linger deadline replaced the send deadline");
  assert.equal(transport.destroyed, false);
});

test("a client that already half-closed is destroyed once our FIN is out: nothing more can come", () => {
  const { end, reader, transport } = setUp();
  reader.ended = true;
  end.linger(TEST_ENGINE_OPTIONS);
  transport.endCallback!();
  assert.equal(transport.destroyed, true);
});

test("the linger deadline is not set on a connection released before its FIN went out", () => {
  const { end, host, transport } = setUp();
  end.linger(TEST_ENGINE_OPTIONS);
  end.release();
  host.deadline = -1;
  transport.endCallback!();
  assert.equal(host.deadline, -1);
});

test("a client that announced its last request is closed after the writes, without lingering", () => {
  const { end, host, transport } = setUp();
  end.closeAfterResponse(TEST_ENGINE_OPTIONS);
  assert.deepEqual(transport.calls, ["closeAfterWrites"]);
  assert.ok(host.deadline > 0, "the send timeout still guards the last bytes");
});

test("bytes dropped while lingering are bounded: past 1 MiB the connection is cut", () => {
  const { end, transport } = setUp();
  end.dropped(1 << 20);
  assert.equal(transport.destroyed, false);
  end.dropped(1);
  assert.equal(transport.destroyed, true);
});

test("release tells the server and the close channel, and takes the connection off the sweeper", () => {
  const { end, host, closedConnections, sweeper } = setUp();
  const published: unknown[] = [];
  const listener = (message: unknown): void => {
    published.push((message as { connection: unknown }).connection);
  };
  diagnosticsChannel.subscribe("portico:http.connection.close", listener);
  try {
    end.release();
  } finally {
    diagnosticsChannel.unsubscribe("portico:http.connection.close", listener);
  }
  assert.deepEqual(closedConnections, [host]);
  assert.deepEqual(published, [host]);
  assert.equal(sweeper.size, 0);
});

test("a switch to HTTP/2 hands over the transport and the unconsumed bytes, and the server is not told of a close", () => {
  let handed: { from: ServerConnection; transport: Transport; received: Buffer } | null = null;
  const { end, reader, host, transport, closedConnections } = setUp((from, t, received) => {
    handed = { from, transport: t, received };
  });
  const shared = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  reader.append(shared);
  end.switchToH2();
  shared.fill(0);
  assert.ok(handed !== null);
  const h = handed as { from: ServerConnection; transport: Transport; received: Buffer };
  assert.equal(h.from, host);
  assert.equal(h.transport, transport);
  assert.equal(h.received.toString("latin1", 0, 3), "PRI");
  assert.deepEqual(closedConnections, []);
});

test("detach gives the socket and the unconsumed bytes, then releases", () => {
  const { end, reader, transport, closedConnections } = setUp();
  reader.append(Buffer.from("tunnel bytes"));
  const { buffered } = end.detach();
  assert.equal(buffered.toString("latin1"), "tunnel bytes");
  assert.ok(transport.calls.includes("toSocket"));
  assert.equal(closedConnections.length, 1);
});
