#!/usr/bin/env node
// `httpserver [-t threads] <port>`: the seed-000 server as a preset of Portico — serves the current
// directory with GET and PUT, the audit log on stderr, 4 threads by default, HTTP/1.1 clients without
// Host accepted, terse error bodies. Same engine and runtime as `portico`, different defaults.

import { readFileSync } from "node:fs";
import { ConfigError, parseCommandLine } from "./config/load.ts";
import { localUrl } from "./runtime/banner.ts";
import { Supervisor } from "./runtime/supervisor.ts";

// Under `npm start` / `npm run`, npm runs us from the package directory; relative paths (and the
// directory httpserver serves) should mean the directory the user typed the command in. Only for the
// script that runs this file: processes that npm test (or any other script) spawns inherit
// npm_lifecycle_event and must keep the directory they were started in.
if (process.env.npm_lifecycle_event === "httpserver" && process.env.INIT_CWD !== undefined)
  process.chdir(process.env.INIT_CWD);

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

const PRESET: Readonly<Record<string, unknown>> = {
  writable: true,
  logFormat: "audit",
  requireHost: false,
  http10: false,
  methods: ["GET", "HEAD", "PUT"],
  errorDetail: false,
  listing: false,
  index: [],
  revalidateMs: 0,
  lengthRequiredStatus: 400,
  threads: 4,
  // The seed's clients send one request per connection and wait for the server to close it.
  maxRequestsPerConnection: 1,
};

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function parse(argv: readonly string[]): { threads: number; port: string } {
  let threads = 4;
  let port: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-t" || arg.startsWith("-t")) {
      const value = arg === "-t" ? argv[++i] : arg.slice(2);
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256)
        fail("Invalid Thread Count");
      threads = Number(value);
    } else if (port === undefined) {
      port = arg;
    } else {
      fail("usage: httpserver [-t threads] <port>");
    }
  }
  if (port === undefined) fail("usage: httpserver [-t threads] <port>");
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) fail("Invalid Port");
  return { threads, port };
}

const { threads, port } = parse(process.argv.slice(2));
let command: Awaited<ReturnType<typeof parseCommandLine>>;
try {
  command = await parseCommandLine(["--root", process.cwd(), "-t", String(threads), port], PRESET);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
if (command.kind !== "serve") process.exit(0);
const supervisor = new Supervisor(command.config, {
  // The seed's one line: its users (and their scripts) read the port from it.
  banner: (listeners, n, transport) =>
    `httpserver listening at ${listeners.map(localUrl).join(" ")} (${n} thread${n === 1 ? "" : "s"}, transport ${transport})`,
  notice: (line) => process.stdout.write(`${line}\n`),
  version: VERSION,
});
try {
  await supervisor.start();
} catch (error) {
  fail((error as Error).message);
}
