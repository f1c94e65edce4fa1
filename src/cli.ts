#!/usr/bin/env node
// `portico [options] [port]`: argv → config → supervisor. Usage and errors only: a bad flag, a
// missing root or a port in use is one line on stderr and exit code 1.

import { existsSync, readFileSync } from "node:fs";
import { ConfigError, dataDirectory, parseCommandLine, usage } from "./config/load.ts";
import { Supervisor } from "./runtime/supervisor.ts";
import { rootCertificatePath, trustInstructions } from "./tls/trust.ts";

// Under `npm start` / `npm run`, npm runs us from the package directory; relative paths (and the
// directory httpserver serves) should mean the directory the user typed the command in. Only for the
// script that runs this file: processes that npm test (or any other script) spawns inherit
// npm_lifecycle_event and must keep the directory they were started in.
if (process.env.npm_lifecycle_event === "start" && process.env.INIT_CWD !== undefined)
  process.chdir(process.env.INIT_CWD);

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

/** `portico trust [--data-dir DIR]`: prints how to trust the local CA; changes nothing. */
function trust(argv: readonly string[]): void {
  let dir = "";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--data-dir" && argv[i + 1] !== undefined) dir = argv[++i]!;
    else if (arg.startsWith("--data-dir=")) dir = arg.slice("--data-dir=".length);
    else fail(`portico trust takes only --data-dir DIR (got ${JSON.stringify(arg)})`);
  }
  const root = rootCertificatePath(dataDirectory(dir));
  process.stdout.write(`${trustInstructions(root, existsSync(root))}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === "trust") return trust(argv.slice(1));
  let command: ReturnType<typeof parseCommandLine>;
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
  const what =
    command.kind === "tcp"
      ? `relaying TCP to ${command.config.upstreams.length} upstream(s)`
      : command.config.serveFiles
        ? `serving ${command.config.root}${command.config.proxy.length > 0 ? " and proxying" : ""}${command.config.app !== "" ? ` and ${command.config.app}` : ""}`
        : command.config.app !== ""
          ? `serving ${command.config.app}${command.config.proxy.length > 0 ? " and proxying" : ""}`
          : "proxying";
  const supervisor = new Supervisor(config, {
    banner: (urls, threads, transport) =>
      `portico ${VERSION} ${what} at ${urls.join(" ")} (${threads} thread${threads === 1 ? "" : "s"}` +
      `${transport === "" ? "" : `, transport ${transport}`})`,
    notice: (line) => process.stdout.write(`${line}\n`),
    version: VERSION,
    reload: () => {
      const again = parseCommandLine(argv);
      if (again.kind !== "serve" && again.kind !== "tcp")
        throw new ConfigError("the command line no longer starts a server");
      return again.config;
    },
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
