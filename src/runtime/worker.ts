// A worker thread's entry: serve the model (http-worker.ts: handlers per listener, sharing each port
// with the other workers through reusePort), take reloads in place (prepare, then commit or abort),
// log and count requests, and serve until told to drain, then exit.
// Under `portico tcp` the worker runs the L4 proxy instead of the HTTP server, drained the same way.

import diagnosticsChannel from "node:diagnostics_channel";
import { parentPort, workerData } from "node:worker_threads";
import { TransportError } from "../http/errors.ts";
import { selectTransport } from "../http/transport.ts";
import { appErrorChannel, type AppErrorMessage, describeAppError } from "../app/events.ts";
import type { Handler } from "../http/handler.ts";
import { buildTcpProxy } from "../route/build.ts";
import { AppLoadFailure } from "./app-modules.ts";
import { HttpWorker, ListenFailure } from "./http-worker.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { SharedState } from "./shared-memory.ts";
import { UpstreamNotices } from "./upstream-notices.ts";

const data = workerData as WorkerData;
const port = parentPort!;
const config = data.config;
const shared = new SharedState(data.shared);
// The supervisor chose it under the same Node and flags, so it runs here too; were this thread to
// refuse the bindings all the same, node:net serves rather than nothing.
if (selectTransport(data.transport) instanceof TransportError) selectTransport("net");

/**
 * Test aid for the supervisor's crash recovery: with PORTICO_FAULT_CRASH_PATH set, a request for that
 * exact path crashes this worker thread with an uncaught exception, as a bug would.
 */
function withFaultInjection(handler: Handler): Handler {
  const crashPath = process.env.PORTICO_FAULT_CRASH_PATH;
  if (crashPath === undefined || crashPath === "") return handler;
  return {
    handle(req, res) {
      if (req.path === crashPath) {
        setImmediate(() => {
          throw new Error(`fault injection: crashing worker ${data.index}`);
        });
        return true;
      }
      return handler.handle(req, res);
    },
  };
}

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

// Server-side faults met while serving files (EIO, EMFILE…): each one is written once to stderr.
diagnosticsChannel.subscribe("portico:static.error", (message) => {
  const { path, error } = message as { path: string; error: unknown };
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`portico: error serving ${path === "" ? "a file" : path}: ${detail}\n`);
});

// Upstreams leaving or rejoining the rotation, and the errors behind 502/504 answers.
new UpstreamNotices(data.index, (line) => process.stderr.write(`${line}\n`)).start();

// An app that threw or rejected (its request got a 500), or a rejection nobody handled: once each, with the stack.
diagnosticsChannel.subscribe(appErrorChannel.name, (message) => {
  process.stderr.write(`${describeAppError(message as AppErrorMessage)}\n`);
});

function exitAfter(drained: Promise<unknown>): void {
  void drained.then(() => {
    send({ type: "drained" });
    process.exit(0);
  });
}

function listenFailed(error: unknown): never {
  const failure = error instanceof ListenFailure ? error : null;
  send({
    type: "listen-failed",
    listener: failure?.listener ?? -1,
    code: failure?.code ?? (error instanceof AppLoadFailure ? error.code : "ERROR"),
    message: (error as Error).message,
  });
  process.exit(1);
}

if (config.kind === "tcp") {
  const countRows = data.countRow >= 0 ? shared.joinCountRow(data.countRow) : undefined;
  const verdicts = { table: new Int32Array(data.verdicts), prober: data.index === 0 };
  const proxy = buildTcpProxy(config, countRows, verdicts);
  port.on("message", (message: SupervisorMessage) => {
    if (message.type === "drain") exitAfter(proxy.close(message.graceMs));
  });
  try {
    const address = await proxy.listen({
      port: data.ports[0]!,
      host: config.host === "" ? undefined : config.host,
      reusePort: data.reusePort,
    });
    send({ type: "listening", addresses: [{ address: address.address, port: address.port }] });
  } catch (error) {
    listenFailed(new ListenFailure(0, error as NodeJS.ErrnoException));
  }
} else {
  const worker = new HttpWorker({
    index: data.index,
    reusePort: data.reusePort,
    shared,
    version: data.version,
    startedAt: data.startedAt,
    send,
    wrap: withFaultInjection,
  });
  port.on("message", (message: SupervisorMessage) => {
    switch (message.type) {
      case "drain":
        exitAfter(worker.drain(message.graceMs));
        return;
      case "reopen-logs":
        worker.reopenLogs();
        return;
      case "prepare":
        worker.prepare(message.generation, message.config, message.ports, message.countRow, message.verdicts).then(
          (addresses) => send({ type: "prepared", generation: message.generation, addresses }),
          (error: unknown) =>
            send({
              type: "prepare-failed",
              generation: message.generation,
              listener: error instanceof ListenFailure ? error.listener : -1,
              code: error instanceof ListenFailure || error instanceof AppLoadFailure ? error.code : "ERROR",
              message: (error as Error).message,
            }),
        );
        return;
      case "commit":
        worker.commit(message.generation);
        return;
      case "abort":
        worker.abort();
        return;
    }
  });
  try {
    send({ type: "listening", addresses: await worker.start(config, data.ports, data.countRow, data.verdicts) });
  } catch (error) {
    listenFailed(error);
  }
}
