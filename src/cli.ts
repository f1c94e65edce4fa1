#!/usr/bin/env node
// `portico [options] [port]`, `portico -c FILE`, `portico check -c FILE`: argv → model → supervisor.
// Usage and errors only: a bad flag, a bad file (file, line and key), a missing root or a port in use
// is one line on stderr and exit code 1. With --watch, a change of the file reloads as SIGHUP does.

import { existsSync, readFileSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { networkInterfaces } from "node:os";
import {
  ConfigError,
  dataDirectory,
  parseCommandLine,
  type ServerModel,
  type TcpConfig,
  usage,
} from "./config/load.ts";
import { formatBanner, wantsColor } from "./runtime/banner.ts";
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
  let command: Awaited<ReturnType<typeof parseCommandLine>>;
  try {
    command = await parseCommandLine(argv);
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
  if (command.kind === "check") {
    const m = command.config;
    // The certificate files too (a key that does not match its certificate), as a start would.
    if (m.tls !== null) {
      const { readCertificateFiles } = await import("./runtime/tls-supervisor.ts");
      try {
        readCertificateFiles(m.tls);
      } catch (error) {
        fail((error as Error).message);
      }
    }
    const routes = m.sites.reduce((n, site) => n + site.routes.length, 0);
    process.stdout.write(
      `portico: ${argvFile(argv)} is valid: ${m.sites.length} site(s), ${routes} route(s), ${m.listeners.length} listener(s)\n`,
    );
    return;
  }
  const config = command.config;
  const what =
    command.kind === "tcp"
      ? `relaying TCP to ${command.config.upstreams.length} upstream(s)`
      : describe(command.config);
  const supervisor = new Supervisor(config, {
    banner: (listeners, threads, transport) =>
      formatBanner(
        `portico ${VERSION} ${what} (${threads} thread${threads === 1 ? "" : "s"}` +
          `${transport === "" ? "" : `, transport ${transport}`})`,
        listeners,
        {
          color: wantsColor(process.stdout.isTTY === true, process.env),
          interfaces: networkInterfaces(),
          localHint: localHint(command),
        },
      ),
    notice: (line) => process.stdout.write(`${line}\n`),
    version: VERSION,
    reload: async () => {
      const again = await parseCommandLine(argv);
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
  if (command.kind === "serve" && command.watch !== "") watchFile(command.watch, () => void supervisor.reload());
}

/** How to keep a server that listens on every interface to this machine. */
function localHint(command: { kind: "serve"; config: ServerModel } | { kind: "tcp"; config: TcpConfig }): string {
  if (command.kind === "tcp") return "--listen 127.0.0.1:PORT";
  return command.config.file === "" ? "--host 127.0.0.1" : 'listen = "127.0.0.1:PORT"';
}

/** What the banner says the server does. */
function describe(model: ServerModel): string {
  if (model.file !== "") return `running ${model.sites.length} site(s) from ${model.file}`;
  const site = model.sites[0]!;
  const proxied = site.routes.some((r) => r.handler.kind === "proxy") ? " and proxying" : "";
  const app = site.routes.find((r) => r.handler.kind === "app")?.handler;
  const module = app?.kind === "app" ? app.module : "";
  if (site.root !== null) return `serving ${site.root}${proxied}${module !== "" ? ` and ${module}` : ""}`;
  return module !== "" ? `serving ${module}${proxied}` : "proxying";
}

/**
 * --watch: reloads when the file changes. Editors save by rename, which ends an fs.watch on the
 * file, so the directory is watched and events for the file's name are gathered for 200 ms.
 */
function watchFile(file: string, reload: () => void): void {
  const dir = dirname(resolve(file));
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  watch(dir, { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      reload();
    }, 200);
  });
}

/** The -c/--config value as given, for messages. */
function argvFile(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-c" || a === "--config") return argv[i + 1] ?? "";
    if (a.startsWith("--config=")) return a.slice(9);
    if (a.startsWith("-c") && a.length > 2) return a.slice(2);
  }
  return "";
}

function fail(message: string): never {
  process.stderr.write(`portico: ${message}\n`);
  process.exit(1);
}

await main(process.argv.slice(2));
