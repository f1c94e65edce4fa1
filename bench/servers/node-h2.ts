// A bare node:http2 server (nghttp2 inside Node), h2c with prior knowledge: the files of a docroot
// read once at start and answered from memory with content-type and content-length. The floor of
// what Node's own HTTP/2 costs before any work of a server's; not a file server.
// `node bench/servers/node-h2.ts DOCROOT PORT`

import fs from "node:fs";
import http2 from "node:http2";
import path from "node:path";

const [root, port] = process.argv.slice(2);
const files = new Map<string, Buffer>();
for (const name of fs.readdirSync(root!)) {
  const full = path.join(root!, name);
  if (fs.statSync(full).isFile() && fs.statSync(full).size <= 2 * 1024 * 1024)
    files.set(`/${name}`, fs.readFileSync(full));
}
// Session memory raised from 10 MB: 100 streams of a 1 MiB file would otherwise end the session.
const server = http2.createServer({ settings: { maxConcurrentStreams: 100 }, maxSessionMemory: 1000 });
server.on("stream", (stream, headers) => {
  const body = files.get(String(headers[":path"]));
  if (body === undefined) {
    stream.respond({ ":status": 404 });
    stream.end();
    return;
  }
  stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": body.length });
  stream.end(body);
});
server.listen(Number(port), "127.0.0.1");
