// Loads an app module in a worker thread, once per thread: module hooks (TypeScript where this Node
// cannot strip types, TypeScript-style import specifiers), the fetch globals, a guard that logs stray
// promise rejections instead of letting them end the thread, then the import itself and a check that
// its default export has a fetch method. Imports resolve from the app file's folder, as Node does.
// Not here: serving requests (handler.ts).

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AppError } from "./errors.ts";
import { reportAppError } from "./events.ts";
import { installFetchGlobals } from "./globals.ts";
import { canHookModules, installModuleHooks, needsTypeStripping } from "./module-hooks.ts";
import type { App } from "./types.ts";

const TS_FILE = /\.(ts|mts|cts)$/;

/**
 * What `import … from "portico"` gives an app run by a portico that is not installed beside it: the
 * public entry, one folder up from src/app/load.ts, beside this code in the bundled dist/ (whose
 * modules are all one folder below the package, scripts/build.ts).
 */
function selfUrl(): string {
  const ext = path.extname(new URL(import.meta.url).pathname);
  for (const candidate of [`../index${ext}`, `./index${ext}`]) {
    const index = new URL(candidate, import.meta.url);
    if (fs.existsSync(index)) return index.href;
  }
  return new URL(`./types${ext}`, import.meta.url).href;
}

let watching = false;

/**
 * A rejection nobody handles would end the worker thread (Node's default, `--unhandled-rejections=throw`):
 * in app code it is reported and the thread carries on. Uncaught exceptions still end it, and the
 * supervisor starts a new one.
 */
function watchRejections(): void {
  if (watching) return;
  watching = true;
  process.on("unhandledRejection", (reason) => reportAppError("", reason, "rejection"));
}

/**
 * Imports `file` (absolute, or relative to the working directory) and returns its app. A `version`
 * above 0 imports the file afresh under its own URL (a reload of a changed file in a running thread).
 */
export async function loadApp(file: string, version = 0): Promise<App> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) throw new AppError("APP_NOT_FOUND", `${file} does not exist`);
  const strip = needsTypeStripping();
  if (canHookModules()) installModuleHooks({ stripTypes: strip, selfUrl: selfUrl() });
  else if (strip && TS_FILE.test(absolute))
    throw new AppError(
      "APP_UNSUPPORTED",
      `Node ${process.version} cannot run TypeScript here: use Node 22.15 or later, or give a .js file`,
    );
  installFetchGlobals();
  watchRejections();
  let module: Record<string, unknown>;
  try {
    const url = pathToFileURL(absolute).href;
    module = (await import(version > 0 ? `${url}?v=${version}` : url)) as Record<string, unknown>;
  } catch (error) {
    throw new AppError("APP_LOAD_FAILED", `${file}: ${describeLoadError(error)}`, { cause: error });
  }
  const app = appOf(module);
  if (app === null)
    throw new AppError(
      "APP_NO_FETCH",
      `${file} must export default an object with a fetch(request, info) method (a Hono app is one)`,
    );
  return app;
}

function hasFetch(value: unknown): value is App {
  return typeof value === "object" && value !== null && typeof (value as { fetch?: unknown }).fetch === "function";
}

/** The default export's app: an object with fetch, a CommonJS `exports.default` holding one, or a bare fetch function. */
export function appOf(module: Record<string, unknown>): App | null {
  let value = module.default;
  if (!hasFetch(value) && typeof value === "object" && value !== null)
    value = (value as Record<string, unknown>).default ?? value;
  if (hasFetch(value)) return value;
  if (typeof value === "function") return { fetch: value as App["fetch"] };
  return null;
}

/** The error's message, with the place in the source for a syntax error (its stack's first line). */
function describeLoadError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof SyntaxError) {
    const where = error.stack?.split("\n")[0] ?? "";
    if (where.startsWith("file:") || where.startsWith("/")) return `${error.message} (${where})`;
  }
  return error.message;
}
