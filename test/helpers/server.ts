// Starts the real Portico CLI in a child process on an ephemeral port and stops it afterwards.
// The port is read from the one-line banner the CLI prints once every worker listens. The child gets
// this process's environment (PORTICO_TRANSPORT included: CI's second e2e pass runs on node:net).

import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

export interface RunningServer {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** Extra CLI arguments (the port is added as 0 unless `port` is set). */
  readonly args?: readonly string[];
  readonly port?: number;
  readonly cwd?: string;
  /** The executable script (default: src/cli.ts). */
  readonly script?: string;
  /** Node's own flags, before the script (--permission…). */
  readonly nodeArgs?: readonly string[];
  /** How long to wait for the banner (default 60 s: generous, a loaded machine starts slowly). */
  readonly timeoutMs?: number;
  /** The child's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `portico <args> 0` and resolves once it prints its listening banner. */
export function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const args = [...(options.args ?? []), String(options.port ?? 0)];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? CLI, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in time\nstdout: ${out}\nstderr: ${err}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (): void => {
      const m = /https?:\/\/[^\s]*:(\d+)\//.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve({
        port: Number(m[1]),
        child,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
      });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** Runs the CLI to completion (for --help, bad flags…) and returns its exit code and output. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; script?: string; nodeArgs?: readonly string[]; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? CLI, ...args], {
    cwd: options.cwd,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

/** A fresh temporary directory (0755, so other users such as nginx's can read it) with the given files. */
export function makeSite(files: Readonly<Record<string, string | Buffer>> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-test-"));
  fs.chmodSync(dir, 0o755);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}
