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
import { HttpServer } from "../http/server.ts";
import { HttpsRedirect } from "../route/https-redirect.ts";
import type { ChallengeSet } from "../tls/acme/manager.ts";
import { challengeDirectory } from "../tls/acme/storage.ts";
import type { TlsEndpoint } from "../tls/endpoint.ts";
import { AppLoadFailure } from "./app-modules.ts";
import { HttpWorker, ListenFailure } from "./http-worker.ts";
import type { SupervisorMessage, WorkerData, WorkerMessage } from "./messages.ts";
import { IDLE_TRIM_AFTER_MS, IdleTrimmer, trimMemory } from "./memory-trim.ts";
import { isDescriptorShortage, OverloadNotices } from "./overload-notices.ts";
import { S_CONNECTIONS_TOTAL, S_REQUESTS, SharedState, STATS_LAYOUT } from "./shared-memory.ts";
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

// Running out of file descriptors: at most one line a second per place.
const overload = new OverloadNotices(data.index, (line) => process.stderr.write(`${line}\n`));
overload.start();

// Server-side faults met while serving files (EIO…): each one is written once to stderr.
diagnosticsChannel.subscribe("portico:static.error", (message) => {
  const { path, error } = message as { path: string; error: unknown };
  if (isDescriptorShortage(error)) {
    overload.report(error.code!, `serving ${path === "" ? "a file" : path}`);
    return;
  }
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`portico: error serving ${path === "" ? "a file" : path}: ${detail}\n`);
});

// Temporary upload files of stopped processes removed when a write first touched their directory.
diagnosticsChannel.subscribe("portico:static.uploads-swept", (message) => {
  const { where, files, bytes } = message as { where: string; files: number; bytes: number };
  process.stdout.write(`portico: removed ${files} temporary upload file(s) (${bytes} bytes) left in ${where}\n`);
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
  const { buildTcpProxy } = await import("../route/build-tcp.ts");
  const proxy = buildTcpProxy(config, countRows, verdicts);
  port.on("message", (message: SupervisorMessage) => {
    if (message.type === "drain") exitAfter(proxy.close(message.graceMs));
  });
  trimMemory();
  try {
    const address = await proxy.listen({
      port: data.ports[0]!,
      host: config.host === "" ? undefined : config.host,
      reusePort: data.reusePort,
    });
    send({ type: "listening", addresses: [{ address: address.address, port: address.port }], httpPort: -1 });
  } catch (error) {
    listenFailed(new ListenFailure(0, error as NodeJS.ErrnoException));
  }
} else {
  // HTTPS: this thread's certificates (from the supervisor, which reads, orders and renews them) and the
  // plain listener that redirects to them and answers ACME HTTP-01. Both live as long as the thread:
  // a reload keeps the listening sockets, and the certificates come with tls-certificates messages.
  // The TLS modules (node:tls with them) load only in a thread that serves HTTPS.
  const tls: TlsEndpoint | null =
    data.tls === null
      ? null
      : new (await import("../tls/endpoint.ts")).TlsEndpoint(data.tls.pairs, data.shared.ticketKeys);
  const http01 = new Map<string, string>();
  let redirect = null as HttpServer | null;
  const answerChallenges = (challenges: ChallengeSet): void => {
    http01.clear();
    for (const [token, keyAuthorization] of challenges.http) http01.set(token, keyAuthorization);
    tls?.setChallenges(challenges.tlsAlpn);
  };
  if (data.tls !== null) answerChallenges(data.tls.challenges);
  const worker = new HttpWorker({
    index: data.index,
    reusePort: data.reusePort,
    shared,
    version: data.version,
    startedAt: data.startedAt,
    send,
    wrap: withFaultInjection,
    tls,
  });
  port.on("message", (message: SupervisorMessage) => {
    switch (message.type) {
      case "drain":
        exitAfter(Promise.all([worker.drain(message.graceMs), redirect?.close(message.graceMs)]));
        return;
      case "reopen-logs":
        worker.reopenLogs();
        return;
      case "tls-certificates":
        tls?.update(message.pairs);
        return;
      case "tls-challenges":
        answerChallenges(message.challenges);
        send({ type: "tls-challenges-ready", id: message.id });
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
    const addresses = await worker.start(config, data.ports, data.countRow, data.verdicts);
    // What loading and building grew goes back to the system before the first connection can come: a
    // collection now delays nobody (one after listening blocked the first requests for tens of ms).
    trimMemory();
    let httpPort = -1;
    const https = config.tls;
    if (tls !== null && https !== null && data.httpPort >= 0) {
      const dir = https.acme ? challengeDirectory(https.dataDir) : "";
      // On the first HTTPS listener's address, redirecting to its port.
      const first = https.listeners[0]!;
      const listener = config.listeners[first]!;
      redirect = new HttpServer(new HttpsRedirect(http01, addresses[first]!.port, dir), worker.engine);
      const bound = await redirect.listen({
        port: data.httpPort,
        host: listener.host === "" ? undefined : listener.host,
        reusePort: data.reusePort,
      });
      httpPort = bound.port;
    }
    send({ type: "listening", addresses, httpPort });
    // A burst's garbage goes back once the thread is quiet again: never while requests keep coming.
    const counters = data.index * STATS_LAYOUT.slots;
    new IdleTrimmer(
      () =>
        Number(
          Atomics.load(shared.stats, counters + S_REQUESTS) +
            Atomics.load(shared.stats, counters + S_CONNECTIONS_TOTAL),
        ),
      trimMemory,
      IDLE_TRIM_AFTER_MS / 2,
      false,
    ).start();
  } catch (error) {
    listenFailed(error);
  }
}
