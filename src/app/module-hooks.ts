// Module hooks for app code, registered in each worker thread before the app is imported: TypeScript
// on a Node without built-in type stripping (22.15–22.17, or stripping turned off), the import forms
// TypeScript projects write (`./x.js` meaning x.ts, extensionless and directory imports), and `portico`
// itself for an app run by a portico that is not installed beside it. Imports only Node's own modules,
// so it runs unchanged from src/ or compiled. Not here: choosing or calling the app (load.ts).

import fs from "node:fs";
import module from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

type ResolveResult = { url: string; format?: string | null; shortCircuit?: boolean };
type Resolve = (specifier: string, context: ResolveContext) => ResolveResult;
interface ResolveContext {
  parentURL?: string | undefined;
  conditions: string[];
  importAttributes: Record<string, string>;
}
type LoadResult = { format: string; source?: string | Uint8Array | null; shortCircuit?: boolean };
type Load = (url: string, context: { format?: string | null | undefined }) => LoadResult;

export interface ModuleHookOptions {
  /** Strip TypeScript here (true when this Node does not, see needsTypeStripping). */
  readonly stripTypes: boolean;
  /** The URL `import … from "portico"` resolves to when no installed portico is found. */
  readonly selfUrl: string;
}

/** True when this Node cannot run .ts files by itself (no type stripping, or turned off). */
export function needsTypeStripping(): boolean {
  return !process.features.typescript;
}

/** True when this Node has in-thread module hooks (22.15+, 23.5+). */
export function canHookModules(): boolean {
  return typeof module.registerHooks === "function";
}

let installed = false;

/** Registers the hooks for this thread (once). */
export function installModuleHooks(options: ModuleHookOptions): void {
  if (installed) return;
  installed = true;
  const hooks: { resolve: Resolve; load?: Load } = {
    resolve: (specifier, context, next?: Resolve) => resolveAppModule(specifier, context, next!, options.selfUrl),
  };
  if (options.stripTypes) hooks.load = (url, context, next?: Load) => loadTypeScript(url, context, next!);
  // The hook signatures above carry a third parameter that Node always passes.
  module.registerHooks(hooks as unknown as module.RegisterHooksOptions);
}

const TS_EXTENSION = /\.(ts|mts|cts)$/;
const MISSING = new Set(["ERR_MODULE_NOT_FOUND", "ERR_UNSUPPORTED_DIR_IMPORT"]);

/**
 * Node's resolution first; only when it finds nothing, the forms TypeScript projects use: `./a.js` for
 * a.ts (tsc's NodeNext convention), `./a` for a.ts or a.js, `./dir` for dir/index.ts — outside
 * node_modules only — and `portico` for this package when the app has no copy of its own.
 */
export function resolveAppModule(
  specifier: string,
  context: ResolveContext,
  next: Resolve,
  selfUrl: string,
): ResolveResult {
  try {
    return next(specifier, context);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (!MISSING.has(code)) throw error;
    if (specifier === "portico") return { url: selfUrl, shortCircuit: true };
    const parent = context.parentURL ?? "";
    if (!(specifier.startsWith("./") || specifier.startsWith("../")) || parent.includes("/node_modules/")) throw error;
    for (const candidate of alternatives(specifier)) {
      try {
        return next(candidate, context);
      } catch {
        // Not this form either.
      }
    }
    throw error;
  }
}

/** Other spellings of a relative specifier that TypeScript would have accepted, most likely first. */
export function alternatives(specifier: string): string[] {
  const ext = path.posix.extname(specifier);
  if (ext === ".js") return [`${specifier.slice(0, -3)}.ts`];
  if (ext === ".mjs") return [`${specifier.slice(0, -4)}.mts`];
  if (ext === ".cjs") return [`${specifier.slice(0, -4)}.cts`];
  const base = specifier.endsWith("/") ? specifier.slice(0, -1) : specifier;
  if (ext === "" || specifier.endsWith("/"))
    return [`${base}.ts`, `${base}.js`, `${base}/index.ts`, `${base}/index.js`, `${base}.mts`, `${base}.mjs`];
  return [];
}

/** Strips a .ts/.mts/.cts file's types (erasable syntax only, as Node's own stripping); other files pass. */
export function loadTypeScript(url: string, context: { format?: string | null | undefined }, next: Load): LoadResult {
  // Node refuses to strip types under node_modules; so does this (packages ship JavaScript).
  if (!url.startsWith("file:") || !TS_EXTENSION.test(url) || url.includes("/node_modules/")) return next(url, context);
  const file = fileURLToPath(url);
  const source = module.stripTypeScriptTypes(fs.readFileSync(file, "utf8"), { mode: "strip", sourceUrl: url });
  return { format: formatOf(file), source, shortCircuit: true };
}

const packageTypes = new Map<string, string>();

/** .mts is ESM and .cts CommonJS; a .ts file follows its package.json's "type", ESM when there is none. */
export function formatOf(file: string): "module" | "commonjs" {
  if (file.endsWith(".mts")) return "module";
  if (file.endsWith(".cts")) return "commonjs";
  return packageType(path.dirname(file)) === "commonjs" ? "commonjs" : "module";
}

function packageType(dir: string): string {
  const known = packageTypes.get(dir);
  if (known !== undefined) return known;
  let type = "";
  try {
    const data = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { type?: unknown };
    type = typeof data.type === "string" ? data.type : "";
  } catch {
    const parent = path.dirname(dir);
    type = parent === dir ? "" : packageType(parent);
  }
  packageTypes.set(dir, type);
  return type;
}
