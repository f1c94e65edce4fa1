// The node:net transport: the Transport contract's shared cases (transport-cases.ts), plus what it
// promises beyond the handles: it carries any net.Socket, a TLS socket on either side included.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import tls from "node:tls";
import { NetTransport } from "../../src/http/net-transport.ts";
import { owner, readAll, runTransportCases, transportHarness } from "./transport-cases.ts";

const h = transportHarness("net");
runTransportCases(h);

const FIXTURES = path.join(import.meta.dirname, "../fixtures/tls");
const KEY = fs.readFileSync(path.join(FIXTURES, "localhost-key.pem"));
const CERT = fs.readFileSync(path.join(FIXTURES, "localhost-cert.pem"));
const CA = fs.readFileSync(path.join(FIXTURES, "ca.pem"));

/** A TLS server whose secure connections are handed over as they are. */
async function tlsServer(onSecure: (socket: tls.TLSSocket) => void): Promise<number> {
  const server = tls.createServer({ key: KEY, cert: CERT, allowHalfOpen: true }, onSecure);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  h.closers.push(() => server.close());
  return (server.address() as { port: number }).port;
}

test("a server-side TLS socket carries cleartext both ways, half-close included", async () => {
  let received = "";
  const port = await tlsServer((socket) => {
    const t = new NetTransport(socket);
    t.start(
      owner({
        received: (chunk) => void (received += chunk.toString()),
        peerEnded: () => {
          t.write(`secret ${received}`);
          t.end();
        },
      }),
    );
  });
  const client = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca: CA });
  h.closers.push(() => client.destroy());
  await new Promise<void>((resolve) => client.once("secureConnect", () => resolve()));
  const reply = readAll(client);
  client.end("hello");
  assert.equal((await reply).toString(), "secret hello");
  assert.equal(received, "hello");
});

test("a TLS client socket reports connected() once the handshake is done, and its failures by code", async () => {
  const port = await tlsServer((socket) => {
    socket.on("data", (d: Buffer) => socket.end(`ok ${d.toString()}`));
  });
  const outcome = await new Promise<string>((resolve) => {
    let got = "";
    let secure = false;
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca: CA });
    const t = new NetTransport(socket, { connectEvent: "secureConnect" });
    t.start({
      connected: () => void (secure = socket.authorized),
      received: (chunk) => void (got += chunk.toString()),
      peerEnded: () => t.destroy(),
      drained() {},
      closed: () => resolve(`${secure}|${got}|${t.error}`),
    });
    t.write("ping");
  });
  assert.equal(outcome, "true|ok ping|");

  const refused = await new Promise<string>((resolve) => {
    // No CA given: the test certificate is not trusted.
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost" });
    const t = new NetTransport(socket, { connectEvent: "secureConnect" });
    t.start(owner({ closed: () => resolve(t.error) }));
  });
  assert.match(refused, /CERT|SIGNATURE|ISSUER/);
});
