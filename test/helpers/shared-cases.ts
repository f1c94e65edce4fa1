// Black-box cases whose expected answers are plain HTTP, run against Portico and, on the same docroot,
// against nginx, so Portico's expectations stay what a mature server does. nginx is skipped when it
// is not installed, except in CI (CI set), where .ci/run installs it and a skip would hide a failure.
//
//   describe("portico", () => {
//     const server = casesOnPortico(SHARED, { root });   // the shared cases, then Portico's own tests
//     test("…", () => get(server.port, "/…"));
//   });
//   casesOnNginx(SHARED, { root });

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NGINX, type RunningNginx, startNginx } from "./nginx.ts";
import { type RunningServer, startServer } from "./server.ts";

/** A case: its name, and a run against a server listening on `port`. */
export type SharedCase = readonly [name: string, run: (port: number) => Promise<void>];

/** The server a describe block started: read `port` inside tests, once it runs. */
export interface ServerUnderTest {
  readonly port: number;
}

/**
 * In the current describe block: starts Portico on `root` (-t 1 and `args`) before its tests, stops it
 * after (exit code 0 expected), and registers the cases. Returns the server for Portico's own tests.
 */
export function casesOnPortico(
  cases: readonly SharedCase[],
  options: { readonly root: string; readonly args?: readonly string[] },
): ServerUnderTest {
  let server: RunningServer | null = null;
  before(async () => {
    server = await startServer({ args: ["--root", options.root, "-t", "1", ...(options.args ?? [])] });
  });
  after(async () => {
    assert.equal(await server?.stop(), 0);
  });
  for (const [name, run] of cases) test(name, () => run(server!.port));
  return {
    get port() {
      return server!.port;
    },
  };
}

/**
 * A describe block running the cases against nginx on `root`; `extra` goes into its server block (to
 * ask for the RFC's semantics where nginx's default differs).
 */
export function casesOnNginx(
  cases: readonly SharedCase[],
  options: { readonly root: string; readonly extra?: string },
): void {
  const skip = NGINX === undefined && process.env.CI === undefined ? "nginx is not installed" : false;
  describe("nginx runs the same plain-HTTP cases", { skip }, () => {
    let nginx: RunningNginx;
    before(async () => {
      nginx = await startNginx(options.root, options.extra ?? "");
    });
    after(async () => {
      await nginx.stop();
    });
    for (const [name, run] of cases) test(name, () => run(nginx.port));
  });
}
