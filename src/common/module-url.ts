// The URL of a sibling module for APIs that load code by URL (new Worker): the same extension as the
// calling file, .ts when run from the sources (development, tests) and .js once compiled into dist/.
// tsc rewrites import specifiers but not strings, so a literal "./worker.ts" would miss in dist/.

/** `siblingModule("worker", import.meta.url)`: ./worker.ts beside a .ts caller, ./worker.js beside a .js one. */
export function siblingModule(name: string, callerUrl: string): URL {
  const extension = callerUrl.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${name}${extension}`, callerUrl);
}
