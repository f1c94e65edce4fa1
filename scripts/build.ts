// `npm run build` (and `prepare`): the package's dist/ — the JavaScript bundled by esbuild, the
// declaration files from tsc, the configuration's JSON Schema. `--out DIR` builds into DIR instead
// (the package test and the bench build into temporary folders). Not here: what the schema holds.
//
// Why a bundle (docs/architecture.md, "Build and package"): every thread resolves and compiles the
// modules it imports, and ~130 imports per worker woke V8's optimising compiler at start-up, whose
// pages then stay resident. One file per entry point plus shared chunks is a handful of modules a
// thread; the dynamic import()s (TLS, HTTP/2, ACME, apps, bcryptjs) stay separate chunks, loaded on
// demand as from the sources. Identifiers are never renamed (stack traces name the functions they
// name in src/); comments and indentation go, as the source text of each module is kept in memory.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build, type Plugin } from "esbuild";
import { schemaText } from "../src/config/reference.ts";
import { mimeTableJson } from "../src/static/mime.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = path.resolve(values.out ?? path.join(ROOT, "dist"));

/**
 * Output name (under dist/) → source. The commands stay in bin/ (package.json `bin`); everything else
 * is flat in dist/, chunks too, so that `import.meta.url` is one folder below the package in every
 * bundled module: `../package.json` (the version) and `siblingModule("worker", …)` resolve as they
 * do from src/cli.ts and src/runtime/supervisor.ts.
 */
const ENTRIES = {
  "bin/portico": "src/bin/portico.ts",
  "bin/httpserver": "src/bin/httpserver.ts",
  cli: "src/cli.ts",
  httpserver: "src/httpserver.ts",
  // The worker thread's module (runtime/supervisor.ts starts it by URL).
  worker: "src/runtime/worker.ts",
  // The package's `exports` ".": defineApp and, for apps a portico not installed beside them runs, `import "portico"`.
  index: "src/index.ts",
};

/**
 * Node's built-in modules reached through `process.getBuiltinModule()` rather than `import`. An ES
 * import of a built-in makes Node build its ES namespace, which reads every export, getters included:
 * `import fs from "node:fs"` alone loads fs/promises, file streams, readline and the REPL's history (for
 * FileHandle.readLines); node:util loads parseArgs and its diff; node:net, BlockList. Measured, the
 * imports the server makes cost ~0.8 MiB of resident memory per thread that way, against ~0.15 through
 * getBuiltinModule, which hands over the CommonJS exports with their getters still lazy.
 * Each `node:x` becomes a small module: its default export is that object; each named export reads
 * one property, marked pure so that esbuild keeps only the names some module imports.
 */
const builtins: Plugin = {
  name: "builtins-by-getBuiltinModule",
  setup(b) {
    // One such module per importing file (the importer is part of its path), so that each lands in
    // its importer's chunk: shared, it would be a chunk of its own per set of importers (32 modules a
    // thread instead of 17), and one module of every built-in would load node:tls and node:crypto
    // into every thread.
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: `${args.path}#${args.importer}`, namespace: "builtin" }));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => {
      const specifier = args.path.slice(0, args.path.indexOf("#"));
      const names = Object.keys(process.getBuiltinModule(specifier) as object).filter(
        (name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      const exports = names.map((name) => `export const ${name} = /* @__PURE__ */ (() => m.${name})();`);
      return {
        contents: [
          `const m = process.getBuiltinModule(${JSON.stringify(specifier)});`,
          "export default m;",
          ...exports,
        ].join("\n"),
        loader: "js",
      };
    });
  },
};

fs.rmSync(out, { recursive: true, force: true });

const bundled = build({
  absWorkingDir: ROOT,
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)])),
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22.15",
  // Dependencies (mime-db, bcryptjs, smol-toml, zod, @peculiar/x509) stay in node_modules, loaded as installed.
  packages: "external",
  entryNames: "[dir]/[name]",
  chunkNames: "[name]-[hash]",
  // Whitespace and comments only: no renaming, no rewriting of expressions.
  minifyWhitespace: true,
  legalComments: "none",
  // Names stay readable with `node --enable-source-maps` (the maps point into src/, which is not shipped).
  sourcemap: "linked",
  sourcesContent: false,
  // The Content-Type table computed here rather than at start-up in every thread (static/mime.ts).
  define: { PORTICO_MIME_TABLE: JSON.stringify(mimeTableJson()) },
  plugins: [builtins],
  logLevel: "warning",
});

// Declarations only (tsconfig.build.json has emitDeclarationOnly): `import type { App } from "portico"`.
const tsc = spawnSync(
  process.execPath,
  [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", out],
  { stdio: "inherit" },
);
await bundled;
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// The configuration file's JSON Schema for editors (`portico/portico.schema.json`), generated from
// src/config/schema.ts so that it ships but is never committed.
fs.writeFileSync(path.join(out, "portico.schema.json"), schemaText());
