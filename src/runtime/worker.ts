// A worker thread's entry: build the site from the config, listen (sharing the port with the other
// workers through reusePort), serve until told to drain, then exit.

import diagnosticsChannel from "node:diagnostics_channel";
import { parentPort, workerData } from "node:worker_threads";
import { HttpServer } from "../http/server.ts";
import { buildSite } from "../route/build.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";

const data = workerData as WorkerData;
const port = parentPort!;

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

// Server-side faults met while serving files (EIO, EMFILE…): each one is written once to stderr.
diagnosticsChannel.subscribe("portico:static.error", (message) => {
  const { path, error } = message as { path: string; error: unknown };
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`portico: error serving ${path === "" ? "a file" : path}: ${detail}\n`);
});

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
