// Runs wrk pinned to the load CPU and parses its report: requests/s, transfer/s, latency
// percentiles (--latency), non-2xx/3xx responses and socket errors.

import { runPinned } from "./tools.ts";

export interface LoadSpec {
  readonly path: string;
  readonly connections: number;
  readonly threads: number;
  readonly headers: readonly string[];
  /** Lua script and its arguments (pipelining). */
  readonly script?: { readonly file: string; readonly args: readonly string[] };
  /** The load tool: wrk (HTTP/1.1, the default) or h2load (HTTP/2 over h2c, h2load.ts). */
  readonly tool?: "wrk" | "h2load";
  /** h2load: concurrent streams per connection (-m). */
  readonly streams?: number;
  /** Over TLS (https://). */
  readonly https?: boolean;
  /**
   * A new TLS connection per request that resumes the first one's session: bench/tls/resume-client.ts
   * instead of wrk, which cannot control resumption.
   */
  readonly resume?: boolean;
}

export interface LoadResult {
  readonly requestsPerSec: number;
  readonly bytesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** Server CPU time per request in µs (filled by the runner), NaN when unknown. */
  cpuUsPerRequest: number;
}

export function wrkArgs(spec: LoadSpec, port: number, seconds: number): string[] {
  const args = [
    "-t",
    String(spec.threads),
    "-c",
    String(spec.connections),
    "-d",
    `${seconds}s`,
    "--latency",
    "--timeout",
    "10s",
  ];
  for (const h of spec.headers) args.push("-H", h);
  if (spec.script !== undefined) args.push("-s", spec.script.file);
  args.push(`${spec.https === true ? "https" : "http"}://127.0.0.1:${port}${spec.path}`);
  if (spec.script !== undefined && spec.script.args.length > 0) args.push("--", ...spec.script.args);
  return args;
}

/** The resumption client's command line: it prints its results in wrk's format. */
export function resumeArgs(spec: LoadSpec, port: number, seconds: number): string[] {
  const client = new URL("../tls/resume-client.ts", import.meta.url).pathname;
  return [process.execPath, client, `https://127.0.0.1:${port}${spec.path}`, String(seconds), String(spec.connections)];
}

export function runWrk(spec: LoadSpec, port: number, seconds: number, cpus: string): Promise<LoadResult> {
  const tool = spec.resume === true ? resumeArgs(spec, port, seconds) : ["wrk", ...wrkArgs(spec, port, seconds)];
  return runPinned(cpus, tool, parseWrk);
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const SIZES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

function duration(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  return m === null ? Number.NaN : Number(m[1]) * UNITS[m[2]!]!;
}

export function parseWrk(out: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (rps === null) throw new Error(`could not read wrk output:\n${out}`);
  return {
    requestsPerSec: Number(rps[1]),
    bytesPerSec: transfer === null ? 0 : Number(transfer[1]) * SIZES[transfer[2]!]!,
    p50Ms: duration(p50?.[1]),
    p99Ms: duration(p99?.[1]),
    requests: Number(total?.[1] ?? 0),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((a, b) => a + Number(b), 0),
    cpuUsPerRequest: Number.NaN,
  };
}
