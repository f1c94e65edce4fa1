// What an app request costs above the engine, without sockets: a GET head parsed from bytes, then
// answered (a) by the engine directly (res.send, the floor), (b) through AppHandler by a bare fetch that
// returns `new Response(text, { headers })` — with the lightweight Response, and with undici's own —
// and (c) through AppHandler by the Hono app of the TechEmpower bench. Writes go nowhere.
// `node bench/micro/app-bridge.ts [--only NAME] [--iterations N]`: with --iterations it runs that many
// calls of one variant and exits, for instruction counts under callgrind (two runs, subtract).

import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { parseArgs } from "node:util";
import { AppHandler } from "../../src/app/handler.ts";
import { installFetchGlobals } from "../../src/app/globals.ts";
import type { App } from "../../src/app/types.ts";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { Request, type RequestSource } from "../../src/http/request.ts";
import { type H1Sink, H1Writer } from "../../src/http/h1-writer.ts";
import { Response as HttpResponse } from "../../src/http/response.ts";
import { measure } from "./measure.ts";

const { values: opts } = parseArgs({ options: { only: { type: "string" }, iterations: { type: "string" } } });

class DiscardSink implements H1Sink {
  readonly closing = false;
  readonly flushed = true;
  bytes = 0;
  write(data: Buffer | string): boolean {
    this.bytes += data.length;
    return true;
  }
  outputBuffer(n: number): Buffer {
    return Buffer.allocUnsafe(n);
  }
  cork(): void {}
  uncork(): void {}
  responseDone(): void {}
  onDrain(listener: () => void): void {
    setImmediate(listener);
  }
  detach(): { socket: Socket; buffered: Buffer } {
    throw new Error("not used");
  }
  destroy(): void {}
}

const source: RequestSource = {
  startBody() {},
  resumeBody() {},
  remoteAddress: "127.0.0.1",
  remotePort: 40000,
  localPort: 8080,
};
const sink = new DiscardSink();
const HEAD = Buffer.from("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "latin1");
const TEXT_FIELDS = ["Content-Type", "text/plain"];

function parsed(): { req: Request; res: HttpResponse } {
  const req = new Request(source);
  parseRequestHead(HEAD, 0, HEAD.length, DEFAULT_PARSE_LIMITS, req);
  return { req, res: new HttpResponse(new H1Writer(sink), req) };
}

const NativeResponse = globalThis.Response;
const nativeApp: App = {
  fetch: () => new NativeResponse("Hello, World!", { headers: { "Content-Type": "text/plain" } }),
};
installFetchGlobals();
const lightApp: App = {
  fetch: () => new globalThis.Response("Hello, World!", { headers: { "Content-Type": "text/plain" } }),
};
const hono = (await import("../servers/techempower-app.ts")).default as unknown as App;

function viaApp(app: App): () => void {
  const handler = new AppHandler({ app, tls: false, errorDetail: false });
  return () => {
    const { req, res } = parsed();
    handler.handle(req, res);
  };
}

const variants: Record<string, () => void> = {
  "engine res.send": () => {
    const { res } = parsed();
    res.send(200, TEXT_FIELDS, "Hello, World!");
  },
  "app, lightweight Response": viaApp(lightApp),
  "app, undici Response": viaApp(nativeApp),
  "app, Hono (TechEmpower app)": viaApp(hono),
};

if (opts.iterations !== undefined) {
  const run = variants[opts.only ?? ""];
  if (run === undefined) throw new Error(`--iterations needs --only one of: ${Object.keys(variants).join(", ")}`);
  const n = Number(opts.iterations);
  for (let i = 0; i < n; i++) run();
  // Let streamed (undici) answers finish before exiting.
  await new Promise((resolve) => setImmediate(resolve));
} else {
  for (const [name, run] of Object.entries(variants))
    if (opts.only === undefined || opts.only === name) measure(name, run);
}
