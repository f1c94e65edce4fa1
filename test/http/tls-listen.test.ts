// A TLS listener on either transport (uv-tls-accept.ts on the handles, net-tls-accept.ts on node:net):
// a handshake becomes a Transport reading cleartext, a plain HTTP request gets the 400, a connection
// that never speaks is closed at its deadline; the acceptor hears exactly one outcome for each; every
// handshake's end is published once: portico:tls.handshake when completed, .failure when not.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import diagnosticsChannel from "node:diagnostics_channel";
import net from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import tls from "node:tls";
import { Sweeper } from "../../src/common/sweeper.ts";
import { listenNet } from "../../src/http/net-listener.ts";
import type { TlsAcceptor, TlsListening } from "../../src/http/tls-listen.ts";
import type { Listener, ListenerOptions, Transport } from "../../src/http/transport.ts";
import { listenUv } from "../../src/http/uv-listener.ts";
import { canWrapTls } from "../../src/http/uv-tls-accept.ts";
import { tlsWrap } from "../../src/http/uv-binding.ts";
import { prepareUvTransport } from "../../src/http/uv-transport.ts";
import { readCertificatePair } from "../../src/tls/certificate.ts";
import { TlsEndpoint } from "../../src/tls/endpoint.ts";
import { owner, readAll } from "./transport-cases.ts";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/tls");
const pair = readCertificatePair(path.join(FIXTURES, "localhost-cert.pem"), path.join(FIXTURES, "localhost-key.pem"));
const closers: Array<() => void> = [];
after(() => {
  for (const close of closers) close();
});

/** An acceptor that answers every request with "secret" over the Transport and records outcomes. */
class RecordingAcceptor implements TlsAcceptor {
  readonly outcomes: string[] = [];
  #settled: (() => void) | null = null;
  #transportClosed: () => void = () => {};
  /** Resolves once the accepted Transport's owner heard closed(). */
  readonly transportClosed = new Promise<void>((resolve) => (this.#transportClosed = resolve));

  arrived(): boolean {
    this.outcomes.push("arrived");
    return true;
  }

  accept(transport: Transport): void {
    this.outcomes.push("accept");
    transport.start(
      owner({
        received: () => {
          transport.write("secret");
          transport.closeAfterWrites();
        },
        peerEnded: () => transport.closeAfterWrites(),
        closed: () => this.#transportClosed(),
      }),
    );
    this.#settled?.();
  }

  abandoned(): void {
    this.outcomes.push("abandoned");
    this.#settled?.();
  }

  /** Resolves once an outcome after `arrived` is recorded. */
  settled(): Promise<void> {
    if (this.outcomes.length > 1) return Promise.resolve();
    return new Promise((resolve) => (this.#settled = resolve));
  }
}

type Listen = (options: ListenerOptions, accept: (t: Transport) => void) => Promise<Listener>;

async function open(listen: Listen, timeoutMs = 60_000): Promise<{ port: number; acceptor: RecordingAcceptor }> {
  const acceptor = new RecordingAcceptor();
  const endpoint = new TlsEndpoint([pair]);
  endpoint.setProtocols(["http/1.1"]);
  const sweeper = new Sweeper(100);
  const tlsOptions: TlsListening = { endpoint, acceptor, sweeper, timeoutMs };
  const listener = await listen({ port: 0, host: "127.0.0.1", tls: tlsOptions }, () => {
    throw new Error("a TLS listener hands connections to its acceptor only");
  });
  closers.push(() => listener.close());
  return { port: listener.address().port, acceptor };
}

prepareUvTransport();
const transports: Array<[string, Listen, string | false]> = [
  ["net", listenNet, false],
  ["uv", listenUv, canWrapTls() ? false : "this Node's tls_wrap binding lacks the shape needed"],
];

for (const [kind, listen, skip] of transports) {
  test(`${kind}: a handshake becomes a Transport reading cleartext, with ALPN http/1.1`, { skip }, async () => {
    const { port, acceptor } = await open(listen);
    const client = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    await new Promise((resolve) => client.once("secureConnect", resolve));
    assert.equal(client.alpnProtocol, "http/1.1");
    const body = readAll(client);
    client.write("hello");
    assert.equal((await body).toString(), "secret");
    assert.deepEqual(acceptor.outcomes, ["arrived", "accept"]);
  });

  test(`${kind}: a plain HTTP request gets a 400 saying the port speaks HTTPS`, { skip }, async () => {
    const { port, acceptor } = await open(listen);
    const socket = net.connect(port, "127.0.0.1");
    const answer = readAll(socket);
    socket.end("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match((await answer).toString(), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*speaks HTTPS/);
    assert.deepEqual(acceptor.outcomes, ["arrived", "abandoned"]);
  });

  test(`${kind}: a connection that never sends its first bytes is closed at its deadline`, { skip }, async () => {
    const { port, acceptor } = await open(listen, 200);
    const socket = net.connect(port, "127.0.0.1");
    const answer = readAll(socket);
    await acceptor.settled();
    assert.deepEqual(await answer, Buffer.alloc(0));
    assert.deepEqual(acceptor.outcomes, ["arrived", "abandoned"]);
  });
}

/** The handshake messages published while `run` runs, once `count` have come. */
async function handshakes(channel: string, count: number, run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  let enough: () => void = () => {};
  const all = new Promise<void>((resolve) => (enough = resolve));
  const listener = (message: unknown): void => {
    seen.push(message);
    if (seen.length >= count) enough();
  };
  diagnosticsChannel.subscribe(channel, listener);
  try {
    await run();
    await all;
  } finally {
    diagnosticsChannel.unsubscribe(channel, listener);
  }
  return seen;
}

for (const [kind, listen, skip] of transports) {
  test(`${kind}: a completed handshake and a failed one are each published once`, { skip }, async () => {
    const { port } = await open(listen);
    const completed = await handshakes("portico:tls.handshake", 1, async () => {
      const client = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
      await new Promise((resolve) => client.once("secureConnect", resolve));
      const body = readAll(client);
      client.write("hello");
      await body;
    });
    assert.deepEqual(completed, [{ resumed: false }]);
    // A handshake record whose ClientHello does not decode: OpenSSL answers with an alert.
    const failed = await handshakes("portico:tls.handshake.failure", 1, async () => {
      const socket = net.connect(port, "127.0.0.1");
      const answer = readAll(socket);
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]));
      await answer;
    });
    assert.equal(failed.length, 1);
    assert.ok(typeof (failed[0] as { kind?: unknown }).kind === "number");
  });
}

test("uv: a closed TLS connection frees its OpenSSL state as its handle closes", {
  skip: transports[1]![2],
}, async () => {
  // Left to the collector, every closed connection's SSL object lived until a full collection, and a
  // stream of new connections then paid a major collection every ~150 handshakes.
  const proto = tlsWrap!.TLSWrap.prototype as unknown as { destroySSL(this: object): void };
  const original = proto.destroySSL;
  let freedServerSide = 0;
  proto.destroySSL = function (this: object): void {
    if ("established" in this) freedServerSide++;
    original.call(this);
  };
  try {
    const { port, acceptor } = await open(listenUv);
    const client = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    await new Promise((resolve) => client.once("secureConnect", resolve));
    const body = readAll(client);
    client.write("hello");
    assert.equal((await body).toString(), "secret");
    await acceptor.transportClosed;
    assert.equal(freedServerSide, 1);
  } finally {
    proto.destroySSL = original;
  }
});
