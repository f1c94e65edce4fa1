import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { type CertificatePair, readCertificatePair } from "../../src/tls/certificate.ts";
import {
  GREET_CLOSE,
  GREET_PLAIN_HTTP,
  GREET_TLS,
  GREET_TLS_SNI_CALLBACK,
  GREET_VALIDATION,
  GREET_WAIT,
  TlsEndpoint,
} from "../../src/tls/endpoint.ts";
import { CertificateFactory, skipWithoutOpenssl } from "../helpers/certificates.ts";

const skip = skipWithoutOpenssl();
const certs = new CertificateFactory();
let a: CertificatePair;
let b: CertificatePair;
let hello: Buffer;

/** The first flight of a real TLS client offering SNI b.test and ALPN acme-tls/1. */
function captureHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) =>
      socket.once("data", (chunk: Buffer) => {
        socket.destroy();
        server.close();
        resolve(chunk);
      }),
    );
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      tls
        .connect({ port, host: "127.0.0.1", servername: "b.test", ALPNProtocols: ["acme-tls/1"] })
        .on("error", () => {});
    });
  });
}

before(async () => {
  if (skip !== false) return;
  const af = certs.selfSigned(["a.test"]);
  a = readCertificatePair(af.cert, af.key);
  const bf = certs.selfSigned(["b.test"]);
  b = readCertificatePair(bf.cert, bf.key);
  hello = await captureHello();
});
after(() => certs.remove());

test("one context and no validation: the first byte decides", { skip }, () => {
  const endpoint = new TlsEndpoint([a]);
  assert.equal(endpoint.greet(Buffer.from("GET / HTTP/1.1\r\n")).verdict, GREET_PLAIN_HTTP);
  assert.equal(endpoint.greet(Buffer.from([0x00, 0x01])).verdict, GREET_CLOSE);
  const g = endpoint.greet(hello.subarray(0, 1));
  assert.equal(g.verdict, GREET_TLS);
  assert.equal(g.context, endpoint.store.defaultContext);
});

test("several contexts: the whole ClientHello is awaited, then its SNI name picks the context", { skip }, () => {
  const endpoint = new TlsEndpoint([a, b]);
  assert.equal(endpoint.greet(hello.subarray(0, 3)).verdict, GREET_WAIT);
  assert.equal(endpoint.greet(hello.subarray(0, hello.length - 1)).verdict, GREET_WAIT);
  const g = endpoint.greet(hello);
  assert.equal(g.verdict, GREET_TLS);
  assert.equal(g.context, endpoint.store.select("b.test"));
  assert.notEqual(g.context, endpoint.store.defaultContext);
  // A ClientHello longer than its first record: the certificate callback decides.
  const split = Buffer.from(hello);
  split.writeUInt16BE(hello.length - 5 - 10, 3);
  assert.equal(endpoint.greet(split).verdict, GREET_TLS_SNI_CALLBACK);
});

test("a TLS-ALPN-01 validation for a name under way gets its certificate; other names do not", { skip }, () => {
  const endpoint = new TlsEndpoint([a]);
  endpoint.setChallenges([{ name: "b.test", cert: b.cert, key: b.key }]);
  const g = endpoint.greet(hello);
  assert.equal(g.verdict, GREET_VALIDATION);
  endpoint.setChallenges([{ name: "c.test", cert: b.cert, key: b.key }]);
  assert.equal(endpoint.greet(hello).verdict, GREET_TLS);
  endpoint.setChallenges([]);
  assert.equal(endpoint.greet(hello.subarray(0, 1)).verdict, GREET_TLS);
});
