// Starts the real Portico CLI on a configuration file (`portico -c FILE`) in a child process: the
// file names its ports, so free ones are picked and written in, and the start is tried again with
// other ports if another process took one in between. The child is always killed on failure, and
// stop() ends with SIGKILL, so a test file can never be left waiting on a server that hangs.

import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

export interface SiteServer {
  readonly child: ChildProcess;
  readonly file: string;
  readonly dir: string;
  /** The ports written into the file, in the order asked for. */
  readonly ports: readonly number[];
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern`; fails after `timeoutMs` (60 s: a bound only a hung server reaches on a loaded machine). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SiteServerOptions {
  /** The directory the file is written to (relative paths in it are relative to this). */
  readonly dir: string;
  /** How many free ports the file needs. */
  readonly ports: number;
  /** The file's text for these ports. */
  readonly text: (ports: readonly number[]) => string;
  readonly name?: string;
  /** Further arguments after `-c FILE`. */
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** A port nothing listens on right now (another process may take it before we do: see startSites). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startSites(options: SiteServerOptions): Promise<SiteServer> {
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < options.ports; i++) ports.push(await freePort());
    const file = path.join(options.dir, options.name ?? "portico.toml");
    fs.writeFileSync(file, options.text(ports));
    try {
      return await launch(file, ports, options);
    } catch (error) {
      lastError = error as Error;
      if (!/already in use/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

function launch(file: string, ports: readonly number[], options: SiteServerOptions): Promise<SiteServer> {
  const child = spawn(process.execPath, [CLI, "-c", file, ...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const server: SiteServer = {
    child,
    file,
    dir: path.dirname(file),
    ports,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`stdout never matched ${pattern}\nstdout: ${out}\nstderr: ${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in time\nstdout: ${out}\nstderr: ${err}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (): void => {
      if (!/(https?|tcp):\/\/\S*:\d+\//.test(out)) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve(server);
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}
