// The docroot the static e2e tests serve (also used to run the plain-HTTP cases against nginx), the
// parts of a multipart answer, and a CLI started through a wrapper command. Not a test file itself.

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { RawResponse } from "./raw.ts";
import { makeSite } from "./server.ts";

export const BIG_TEXT = "The quick brown fox jumps over the lazy dog. 0123456789\n".repeat(400);
export const PRE_JS = "console.log('precompressed');\n".repeat(100);
/** Larger than the default --cache-max-file (1 MiB): streamed from disk. */
export const LARGE = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < LARGE.length; i++) LARGE[i] = (i * 31 + (i >> 10)) & 0xff;

/** A site with every kind of entry the rules talk about; returns its root and an outside directory. */
export function makeStaticSite(): { root: string; outside: string } {
  const outside = makeSite({ "secret.txt": "outside secret\n", "dir/inner.txt": "inner\n" });
  const root = makeSite({
    "index.html": "<h1>home</h1>\n",
    "hello.txt": "hello world\n",
    "digits.txt": "0123456789",
    "empty.txt": "",
    "page.html": "<p>page</p>\n",
    "style.css": "body{color:red}\n",
    "app.js": "let x = 1;\n",
    "data.json": '{"a":1}\n',
    "image.png": Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
    noext: "no extension\n",
    "file.unknownext": "?\n",
    "space name.txt": "spaced\n",
    "big.txt": BIG_TEXT,
    "pre.js": PRE_JS,
    "pre.js.gz": zlib.gzipSync(PRE_JS),
    "pre.js.br": zlib.brotliCompressSync(PRE_JS),
    "large.bin": LARGE,
    "sub/b.txt": "b\n",
    "sub/a b.txt": "a b\n",
    "sub/<x>&\"'.txt": "x\n",
    "sub/zdir/z.txt": "z\n",
    "sub/.hidden": "hidden\n",
    "withindex/index.html": "<p>with index</p>\n",
    ".git/config": "[core]\n",
    ".env": "SECRET=1\n",
    ".well-known/security.txt": "Contact: x\n",
  });
  fs.symlinkSync(path.join(outside, "secret.txt"), path.join(root, "link-out.txt"));
  fs.symlinkSync(path.join(outside, "dir"), path.join(root, "dir-out"));
  fs.symlinkSync(path.join(root, "hello.txt"), path.join(root, "link-in.txt"));
  fs.symlinkSync(path.join(root, ".env"), path.join(root, "env-link.txt"));
  fs.symlinkSync(path.join(root, ".git"), path.join(root, "git-link"));
  return { root, outside };
}

/** The parts of a multipart/byteranges body: each part's Content-Range and bytes. */
export function multipartParts(res: RawResponse): Array<{ range: string; type: string; body: Buffer }> {
  const m = /boundary=([^;\s]+)/.exec(res.headers["content-type"] ?? "");
  if (m === null) throw new Error(`not multipart: ${res.headers["content-type"]}`);
  const delimiter = Buffer.from(`--${m[1]}`);
  const out: Array<{ range: string; type: string; body: Buffer }> = [];
  let pos = res.body.indexOf(delimiter);
  while (pos !== -1) {
    const after = pos + delimiter.length;
    if (res.body.toString("latin1", after, after + 2) === "--") break;
    const headEnd = res.body.indexOf("\r\n\r\n", after);
    const head = res.body.toString("latin1", after, headEnd);
    const next = res.body.indexOf(delimiter, headEnd);
    // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    const body = res.body.subarray(headEnd + 4, next - 2);
    out.push({
      range: /content-range:\s*(.*)/i.exec(head)?.[1]?.trim() ?? "",
      type: /content-type:\s*(.*)/i.exec(head)?.[1]?.trim() ?? "",
      body,
    });
    pos = next;
  }
  return out;
}

/** A CLI started through a wrapper command (ulimit, setpriv…), with its port read from the banner. */
export interface WrappedServer {
  readonly port: number;
  readonly pid: number;
  stop(): void;
}

/** Starts `portico <args> 0` as `wrapper… node cli.ts …` and resolves once it listens. */
export function startWrapped(wrapper: readonly string[], args: readonly string[]): Promise<WrappedServer> {
  const cli = new URL("../../src/cli.ts", import.meta.url).pathname;
  const [command, ...rest] = wrapper;
  const child = spawn(command!, [...rest, process.execPath, cli, ...args, "0"], {
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 60_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /https?:\/\/[^\s]*:(\d+)\//.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), pid: child.pid!, stop: () => child.exitCode === null && child.kill("SIGKILL") });
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}
