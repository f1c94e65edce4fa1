// Launcher for the http-proxy peer of the proxy scenario: `node http-proxy.ts TARGET PORT`. Forwards
// every request on 127.0.0.1:PORT to TARGET with http-proxy's defaults; 502 when the target fails.

import http from "node:http";
import httpProxy from "http-proxy";

const [target, port] = process.argv.slice(2);
if (target === undefined || port === undefined) {
  process.stderr.write("usage: http-proxy.ts TARGET PORT\n");
  process.exit(2);
}
const proxy = httpProxy.createProxyServer({ target });
proxy.on("error", (_error, _req, res) => {
  // For plain HTTP requests res is the ServerResponse; a failed upgrade would hand over a socket.
  if (res instanceof http.ServerResponse) {
    res.writeHead(502);
    res.end();
  } else {
    res.destroy();
  }
});
http
  .createServer((req, res) => proxy.web(req, res))
  .listen(Number(port), "127.0.0.1", () => {
    process.stdout.write(`http-proxy listening on ${port}\n`);
  });
