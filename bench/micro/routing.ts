// Micro benchmark: what routing adds to a cached 1 KiB file — the same request through one site made
// from flags and through the example configuration's site (host router, six routes, field edits,
// CORS), each including parsing the head and writing the prepared response to a sink that drops it.
// `node bench/micro/routing.ts [flags|sites|origin]`

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LockTable } from "../../src/common/lock-table.ts";
import { parseCommandLine, type ServerModel } from "../../src/config/load.ts";
import type { Handler } from "../../src/http/handler.ts";
import { type H1Sink, H1Writer } from "../../src/http/h1-writer.ts";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { Request } from "../../src/http/request.ts";
import { Response } from "../../src/http/response.ts";
import { buildWorker } from "../../src/route/build.ts";
import { SharedState, STATS_LAYOUT } from "../../src/runtime/shared-memory.ts";
import { writeExampleConfig } from "../lib/sites-config.ts";
import { measure } from "./measure.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "portico-routing-"));
const root = path.join(work, "root");
fs.mkdirSync(root);
fs.writeFileSync(path.join(root, "1k.txt"), "x".repeat(1024));
const shared = SharedState.create();
const siteShared = {
  locks: new LockTable(shared.locks, shared.versions),
  stats: shared.stats,
  statsLayout: STATS_LAYOUT,
  startedAt: Date.now(),
  version: "bench",
  rateBuckets: shared.rateBuckets,
};

async function handlerOf(argv: string[]): Promise<Handler> {
  const command = await parseCommandLine(argv);
  const model = (command as { config: ServerModel }).config;
  return buildWorker(model, siteShared).handlers[0]!;
}

const flags = await handlerOf(["--root", root, "0"]);
const sites = await handlerOf(["-c", writeExampleConfig(repo, work, root, 0, "127.0.0.1:9")]);

const sink: H1Sink = {
  write: () => true,
  outputBuffer: (n) => Buffer.allocUnsafe(n),
  cork() {},
  uncork() {},
  responseDone() {},
  closing: false,
  onDrain() {},
  flushed: true,
  detach: () => {
    throw new Error("not here");
  },
  destroy() {},
};
const writer = new H1Writer(sink);
const source = { startBody() {}, resumeBody() {}, remoteAddress: "127.0.0.1", remotePort: 1, localPort: 2 };

function run(handler: Handler, head: Buffer): () => unknown {
  return () => {
    const req = new Request(source);
    parseRequestHead(head, 0, head.length, DEFAULT_PARSE_LIMITS, req);
    const res = new Response(writer, req);
    return handler.handle(req, res);
  };
}

const plain = Buffer.from("GET /1k.txt HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: bench\r\n\r\n", "latin1");
const origin = Buffer.from(
  "GET /1k.txt HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: bench\r\nOrigin: https://app.test\r\n\r\n",
  "latin1",
);
// Fill the file caches before timing.
for (const h of [flags, sites]) for (const head of [plain, origin]) await run(h, head)();
await new Promise((r) => setTimeout(r, 50));
const only = process.argv[2];
if (only === undefined || only === "flags") measure("one site from flags", run(flags, plain));
if (only === undefined || only === "sites") measure("example site", run(sites, plain));
if (only === undefined || only === "origin") measure("example site, Origin (CORS fields)", run(sites, origin));
fs.rmSync(work, { recursive: true, force: true });
