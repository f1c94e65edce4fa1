// A worker thread's entry: build the site from the config, listen (sharing the port with the other
// workers through reusePort), serve until told to drain, then exit.

import { parentPort, workerData } from "node:worker_threads";
import { HttpServer } from "../http/server.ts";
import { buildSite, buildTcpProxy } from "../route/build.ts";
import type { Config } from "../config/load.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";

const data = workerData as WorkerData;
const port = parentPort!;

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

// `portico tcp` runs an L4 proxy in place of the HTTP server; both listen and drain the same way.
const config = data.config;
const server = "mode" in config ? buildTcpProxy(config) : httpServer(config);

function httpServer(config: Config): HttpServer {
  const site = buildSite(config);
  return new HttpServer(site.handler, site.engine);
}

port.on("message", (message: SupervisorMessage) => {
  if (message.type === "drain") {
    void server.close(message.graceMs).then(() => {
      send({ type: "drained" });
      process.exit(0);
    });
  }
});

try {
  const address = await server.listen({ port: data.port, host: config.host === "" ? undefined : config.host, reusePort: data.reusePort });
  send({ type: "listening", address: address.address, port: address.port });
} catch (error) {
  const err = error as NodeJS.ErrnoException;
  send({ type: "listen-failed", code: err.code ?? "ERROR", message: err.message });
  process.exit(1);
}
