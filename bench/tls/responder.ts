// A minimal HTTPS responder for comparing TLS transports by instruction counts (callgrind), not a
// server: it finds "\r\n\r\n" and answers a fixed 1 KiB response, over one of three socket paths:
//   tlssocket  tls.createServer (TLSSocket: net.Socket's streams around Node's TLSWrap)
//   tlswrap    Node's internal TLSWrap driven straight on a tcp_wrap handle, as src/http/ does
//   tcp        the same handle without TLS (the plain engine's floor)
// Usage: node bench/tls/responder.ts MODE PORT CERT KEY; SIGUSR2 prints the requests answered so far.

import { Buffer } from "node:buffer";
import fs from "node:fs";
import tls from "node:tls";

const [mode = "tlswrap", portText = "8443", certFile = "", keyFile = ""] = process.argv.slice(2);
const port = Number(portText);
const context = tls.createSecureContext({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
  minVersion: "TLSv1.2",
});
const BODY = "x".repeat(1024);
const RESPONSE = Buffer.from(
  `HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
);
let requests = 0;
process.on("SIGUSR2", () => process.stdout.write(`requests ${requests}\n`));

function countHeads(chunk: Uint8Array, n: number): number {
  let found = 0;
  let i = 0;
  const view = Buffer.from(chunk.buffer, chunk.byteOffset, n);
  while ((i = view.indexOf("\r\n\r\n", i, "latin1")) !== -1) {
    found++;
    i += 4;
  }
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: a bench harness over Node's untyped internal bindings
type Untyped = any;

if (mode === "tlssocket") {
  const server = tls.createServer(
    { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), minVersion: "TLSv1.2" },
    (socket) => {
      socket.setNoDelay(true);
      socket.on("data", (chunk: Buffer) => {
        const heads = countHeads(chunk, chunk.length);
        for (let i = 0; i < heads; i++) {
          requests++;
          socket.write(RESPONSE);
        }
      });
      socket.on("error", () => socket.destroy());
    },
  );
  server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${port}\n`));
} else {
  const binding = (process as unknown as { binding(name: string): Untyped }).binding;
  const { TCP, constants } = binding("tcp_wrap");
  const { WriteWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync } = binding("stream_wrap");
  const tlsWrap = binding("tls_wrap");
  const readBuffer = new Uint8Array(65536);
  const server = new TCP(constants.SERVER);
  server.bind("127.0.0.1", port, 0);
  server.listen(511);
  const oncomplete = function (this: { stream: Untyped; data: unknown }) {
    this.data = null;
  };
  let spare = new WriteWrap();
  spare.oncomplete = oncomplete;
  server.onconnection = (status: number, handle: Untyped) => {
    if (status !== 0) return;
    handle.setNoDelay(true);
    let stream = handle;
    if (mode === "tlswrap") {
      stream = tlsWrap.wrap(handle, context.context, true, false);
      stream.onhandshakestart = () => {};
      stream.onhandshakedone = () => {};
      stream.onerror = () => handle.close();
    }
    stream.useUserBuffer(readBuffer);
    stream.onread = () => {
      const n = streamBaseState[kReadBytesOrError];
      if (n < 0) {
        handle.close();
        return;
      }
      const heads = countHeads(readBuffer, n);
      for (let i = 0; i < heads; i++) {
        requests++;
        const req = spare;
        stream.writeBuffer(req, RESPONSE);
        if (streamBaseState[kLastWriteWasAsync] !== 0) {
          req.data = RESPONSE;
          spare = new WriteWrap();
          spare.oncomplete = oncomplete;
        }
      }
    };
    stream.readStart();
  };
  process.stdout.write(`listening ${port}\n`);
}
