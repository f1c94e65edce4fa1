// Handshake outcomes as the statistics hear them: a full handshake, a resumed one (a session ticket
// of the first connection), a failed one by kind, published for a server tls.TLSSocket as
// http/tls-listen.ts does for both transports; and how OpenSSL's error codes map to failure kinds.

import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import {
  HANDSHAKE_FAILURE_KINDS,
  type HandshakeFailureMessage,
  type HandshakeMessage,
  handshakeChannel,
  handshakeFailureChannel,
  handshakeFailureKind,
  publishHandshake,
  publishHandshakeFailure,
} from "../../src/tls/handshake-events.ts";
import { createSelfSignedCertificate } from "../../src/tls/x509.ts";

const heard: string[] = [];
const onHandshake = (m: unknown): void => {
  heard.push((m as HandshakeMessage).resumed ? "resumed" : "full");
};
const onFailure = (m: unknown): void => {
  heard.push(`failed:${HANDSHAKE_FAILURE_KINDS[(m as HandshakeFailureMessage).kind]}`);
};
let server: net.Server;
let port = 0;

before(async () => {
  const { cert, key } = await createSelfSignedCertificate(["localhost"]);
  // The server's TLS 1.2 ciphers are ECDHE + AEAD only, like Portico's (tls/settings.ts).
  const context = tls.createSecureContext({ cert, key, ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" });
  handshakeChannel.subscribe(onHandshake);
  handshakeFailureChannel.subscribe(onFailure);
  server = net.createServer((socket) => {
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    const failed = (error: unknown): void => publishHandshakeFailure(error);
    secure.once("error", failed);
    secure.once("secure", () => {
      secure.off("error", failed);
      publishHandshake(secure.isSessionReused());
    });
    secure.on("error", () => secure.destroy());
    secure.on("data", () => secure.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(() => {
  handshakeChannel.unsubscribe(onHandshake);
  handshakeFailureChannel.unsubscribe(onFailure);
  server.close();
});

/** One connection: resolves with its first session ticket (or undefined) once closed, or the error. */
function connect(options: tls.ConnectionOptions): Promise<{ session?: Buffer; error?: Error }> {
  return new Promise((resolve) => {
    let session: Buffer | undefined;
    let error: Error | undefined;
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
    socket.on("session", (s: Buffer) => {
      session ??= s;
    });
    socket.on("secureConnect", () => socket.write("hi"));
    socket.on("data", () => {});
    socket.on("error", (e) => {
      error = e;
    });
    socket.on("close", () => resolve({ ...(session !== undefined ? { session } : {}), ...(error ? { error } : {}) }));
  });
}

test("a full handshake, one resumed from its ticket, and one failing for want of a shared cipher", async () => {
  const first = await connect({});
  assert.ok(first.session !== undefined, "a session ticket");
  await connect({ session: first.session! });
  const failed = await connect({ maxVersion: "TLSv1.2", ciphers: "AES128-SHA" });
  assert.ok(failed.error !== undefined, "the client saw the handshake fail");
  // The server's events of the last connection may come a moment after the client's close.
  for (let i = 0; i < 100 && heard.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(heard, ["full", "resumed", "failed:cipher"]);
});

test("OpenSSL's error codes map to failure kinds", () => {
  const kind = (code: string): string => HANDSHAKE_FAILURE_KINDS[handshakeFailureKind({ code })]!;
  assert.equal(kind("ERR_SSL_UNSUPPORTED_PROTOCOL"), "version");
  assert.equal(kind("ERR_SSL_WRONG_VERSION_NUMBER"), "version");
  assert.equal(kind("ERR_SSL_NO_SHARED_CIPHER"), "cipher");
  assert.equal(kind("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"), "certificate");
  assert.equal(kind("ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE"), "certificate");
  assert.equal(kind("ECONNRESET"), "reset");
  assert.equal(kind("ERR_SSL_PACKET_LENGTH_TOO_LONG"), "other");
  assert.equal(handshakeFailureKind(null), HANDSHAKE_FAILURE_KINDS.indexOf("other"));
});
