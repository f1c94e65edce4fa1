// Generates the files every server serves: 1 KiB, 32 KiB JavaScript (plus its .gz), 1 MiB and
// 100 MiB, in a fresh temp directory readable by nginx's worker (0755).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

export interface Docroot {
  readonly dir: string;
  remove(): void;
}

export const FILES = {
  small: "/1k.txt",
  js: "/app.js",
  medium: "/1m.bin",
  large: "/100m.bin",
  missing: "/missing.txt",
} as const;

export function createDocroot(): Docroot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-bench-"));
  fs.chmodSync(dir, 0o755);
  // Printable text, so every server labels and serves it the same way.
  const line = "The quick brown fox jumps over the lazy dog 0123456789.\n";
  fs.writeFileSync(path.join(dir, "1k.txt"), line.repeat(Math.ceil(1024 / line.length)).slice(0, 1024));
  // Compressible JavaScript-like text for the gzip scenario; the .gz sits beside it for servers
  // that serve precompressed files (nginx gzip_static, sirv --gzip, @fastify/static preCompressed).
  let js = "";
  for (let i = 0; js.length < 32 * 1024; i++)
    js += `export function handler${i}(request, response) { return response.send(${i} * 2, "value-${i % 97}"); }\n`;
  js = js.slice(0, 32 * 1024);
  fs.writeFileSync(path.join(dir, "app.js"), js);
  fs.writeFileSync(path.join(dir, "app.js.gz"), zlib.gzipSync(js, { level: 9 }));
  const mib = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib.length; i++) mib[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(path.join(dir, "1m.bin"), mib);
  const fd = fs.openSync(path.join(dir, "100m.bin"), "w");
  for (let i = 0; i < 100; i++) fs.writeSync(fd, mib);
  fs.closeSync(fd);
  for (const name of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, name), 0o644);
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
