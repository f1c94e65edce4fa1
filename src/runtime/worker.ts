// A worker thread's entry: build the site from the config, listen (sharing the port with the other
// workers through reusePort), serve until told to drain, then exit.

import { parentPort, workerData } from "node:worker_threads";
import { HttpServer } from "../http/server.ts";
import { buildSite } from "../route/build.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";

const data = workerData as WorkerData;
const port = parentPort!;

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

const site = buildSite(data.config);
const server = new HttpServer(site.handler, site.engine);

port.on("message", (message: SupervisorMessage) => {
  if (message.type === "drain") {
    void server.close(message.graceMs).then(() => {
      send({ type: "drained" });
      process.exit(0);
    });
  }
});

try {
  const address = await server.listen({ port: data.port, host: data.config.host === "" ? undefined : data.config.host, reusePort: data.reusePort });
  send({ type: "listening", address: address.address, port: address.port });
} catch (error) {
  const err = error as NodeJS.ErrnoException;
  send({ type: "listen-failed", code: err.code ?? "ERROR", message: err.message });
  process.exit(1);
}
