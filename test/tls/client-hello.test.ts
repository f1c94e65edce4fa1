import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { test } from "node:test";
import tls from "node:tls";
import {
  classifyFirstByte,
  FIRST_HTTP,
  FIRST_OTHER,
  FIRST_TLS,
  firstRecordLength,
  parseClientHello,
} from "../../src/tls/client-hello.ts";

/** The first flight a real TLS client (Node's OpenSSL) sends. */
async function captureClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.once("data", (chunk: Buffer) => {
        socket.destroy();
        server.close();
        resolve(chunk);
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const client = tls.connect({ port: (server.address() as net.AddressInfo).port, host: "127.0.0.1", ...options });
      client.on("error", () => {});
    });
    server.on("error", reject);
  });
}

test("the first byte tells a handshake record from an HTTP method", () => {
  assert.equal(classifyFirstByte(0x16), FIRST_TLS);
  assert.equal(classifyFirstByte("G".charCodeAt(0)), FIRST_HTTP);
  assert.equal(classifyFirstByte("P".charCodeAt(0)), FIRST_HTTP);
  assert.equal(classifyFirstByte(0x00), FIRST_OTHER);
  assert.equal(classifyFirstByte("g".charCodeAt(0)), FIRST_OTHER);
});

test("SNI and ALPN are read from a real ClientHello", async () => {
  const hello = await captureClientHello({ servername: "Example.TEST", ALPNProtocols: ["acme-tls/1", "http/1.1"] });
  assert.equal(firstRecordLength(hello), hello.length);
  assert.deepEqual(parseClientHello(hello), { servername: "example.test", protocols: ["acme-tls/1", "http/1.1"] });
});

test("a ClientHello without SNI or ALPN gives empty values", async () => {
  const hello = await captureClientHello({});
  assert.deepEqual(parseClientHello(hello), { servername: "", protocols: [] });
});

test("incomplete or malformed records give null, never a throw", async () => {
  const hello = await captureClientHello({ servername: "a.test" });
  assert.equal(firstRecordLength(hello.subarray(0, 3)), -1);
  for (let cut = 0; cut < hello.length; cut += 7) assert.equal(parseClientHello(hello.subarray(0, cut)), null);
  const broken = Buffer.from(hello);
  broken[5] = 2; // not a ClientHello
  assert.equal(parseClientHello(broken), null);
  // Lengths that point past the record.
  const lying = Buffer.from(hello);
  lying[5 + 4 + 2 + 32] = 255;
  assert.doesNotThrow(() => parseClientHello(lying));
});
