#!/usr/bin/env node
// `portico [options] [port]`: argv → config → supervisor. Usage and errors only: a bad flag, a
// missing root or a port in use is one line on stderr and exit code 1.

import { readFileSync } from "node:fs";
import { ConfigError, parseCommandLine, usage } from "./config/load.ts";
import { Supervisor } from "./runtime/supervisor.ts";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

async function main(argv: readonly string[]): Promise<void> {
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (command.kind === "version") {
    process.stdout.write(`portico ${VERSION}\n`);
    return;
  }
  const config = command.config;
  const supervisor = new Supervisor(config, {
    banner: (urls, threads) => `portico ${VERSION} serving ${config.root} at ${urls.join(" ")} (${threads} thread${threads === 1 ? "" : "s"})`,
    notice: (line) => process.stdout.write(`${line}\n`),
    version: VERSION,
  });
  try {
    await supervisor.start();
  } catch (error) {
    fail((error as Error).message);
  }
}

function fail(message: string): never {
  process.stderr.write(`portico: ${message}\n`);
  process.exit(1);
}

await main(process.argv.slice(2));
