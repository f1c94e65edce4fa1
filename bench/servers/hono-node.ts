// Launcher for the @hono/node-server peer: `node hono-node.ts PORT` serves techempower-app.ts on
// 127.0.0.1:PORT with the adapter's defaults. node:http adds Date; the Server field TechEmpower asks for
// is set on node's response before the adapter writes its head (which merges fields set earlier), so the
// app stays the one Portico runs.

import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import app from "./techempower-app.ts";

const [port] = process.argv.slice(2);
if (port === undefined) {
  process.stderr.write("usage: hono-node.ts PORT\n");
  process.exit(2);
}
const listener = getRequestListener(app.fetch);
const server = createServer({ keepAliveTimeout: 600_000 }, (req, res) => {
  res.setHeader("Server", "hono");
  void listener(req, res);
});
server.listen(Number(port), "127.0.0.1", () => process.stdout.write(`hono-node listening on ${port}\n`));
