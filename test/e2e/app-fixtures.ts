// Apps the e2e tests of `portico --app` run, written into a temp folder with node_modules linked so
// their imports (hono) resolve from there as a user's would. Not a test file itself.

import fs from "node:fs";
import path from "node:path";
import { makeSite } from "../helpers/server.ts";

const MODULES = path.resolve(import.meta.dirname, "../../node_modules");

/** A temp folder holding `files`, with this checkout's node_modules linked in. */
export function makeAppDir(files: Readonly<Record<string, string>>): string {
  const dir = makeSite(files);
  fs.symlinkSync(MODULES, path.join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * A plain JavaScript app exercising the fetch interface: bodies in and out, streams held open until
 * /release, abort and cancel notices kept for /status, failures of every kind.
 */
export const FETCH_APP = String.raw`
import { createHash } from "node:crypto";
import fs from "node:fs";
import { threadId } from "node:worker_threads";

fs.appendFileSync(new URL("./loads.txt", import.meta.url), threadId + "\n");

const status = { waiting: 0, aborted: 0, cancelled: 0 };
let release = () => {};
let released = new Promise((resolve) => (release = resolve));

export default {
  async fetch(request, info) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/hello":
        return new Response("Hello, World!", { headers: { "content-type": "text/plain", "x-thread": String(threadId) } });
      case "/info":
        return Response.json({
          url: request.url,
          method: request.method,
          remoteAddress: info.remoteAddress,
          remotePort: info.remotePort,
          tls: info.tls,
          agent: request.headers.get("User-Agent"),
          isRequest: request instanceof Request,
        });
      case "/echo": {
        const body = new Uint8Array(await request.arrayBuffer());
        return new Response(body, { headers: { "x-method": request.method, "x-length": String(body.length) } });
      }
      case "/sha": {
        const hash = createHash("sha256");
        let chunks = 0;
        for await (const chunk of request.body) {
          hash.update(chunk);
          chunks++;
        }
        return new Response(hash.digest("hex"), { headers: { "x-chunks": String(chunks) } });
      }
      case "/json":
        return Response.json(await request.json());
      case "/form":
        return Response.json(Object.fromEntries(await request.formData()));
      case "/cookies": {
        const headers = new Headers({ "content-type": "text/plain" });
        headers.append("set-cookie", "a=1; Path=/");
        headers.append("set-cookie", "b=2, c=3; Path=/");
        return new Response("cookies", { headers });
      }
      case "/bytes":
        return new Response(new Uint8Array([104, 105]));
      case "/blob":
        return new Response(new Blob(["blob body"], { type: "text/x-blob" }));
      case "/big-blob":
        return new Response(new Blob([new Uint8Array(300000).fill(98)]));
      case "/file":
        return new Response(await fs.openAsBlob(new URL("./data.bin", import.meta.url)));
      case "/etag":
        return new Response("tagged", { headers: { etag: '"v1"', "last-modified": "Tue, 01 Dec 2026 10:00:00 GMT" } });
      case "/stream": {
        const encoder = new TextEncoder();
        return new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(encoder.encode("first\n"));
              await released;
              released = new Promise((resolve) => (release = resolve));
              controller.enqueue(encoder.encode("second\n"));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/plain" } },
        );
      }
      case "/release":
        release();
        return new Response("released");
      case "/forever":
        return new Response(
          new ReadableStream({
            pull(controller) {
              controller.enqueue(new Uint8Array(16384).fill(120));
              return new Promise((resolve) => setTimeout(resolve, 5));
            },
            cancel() {
              status.cancelled++;
            },
          }),
        );
      case "/wait-abort":
        status.waiting++;
        return new Promise((resolve) => {
          request.signal.addEventListener("abort", () => {
            status.aborted++;
            resolve(new Response("too late"));
          });
        });
      case "/status":
        return Response.json(status);
      case "/throw":
        throw new Error("thrown on purpose");
      case "/reject":
        return Promise.reject(new Error("rejected on purpose"));
      case "/stray":
        Promise.reject(new Error("stray rejection on purpose"));
        return new Response("fine");
      case "/not-a-response":
        return { status: 200 };
      case "/bad-field":
        return new Response("x", { headers: { "bad name": "x" } });
      case "/stream-fails":
        return new Response(
          new ReadableStream({
            pull() {
              throw new Error("stream failed on purpose");
            },
          }),
        );
      case "/crash":
        setTimeout(() => {
          throw new Error("crash on purpose");
        });
        return new Response("crashing");
      default:
        return new Response("no such page", { status: 404 });
    }
  },
};
`;

/** The README's Hono example, unchanged. */
export const HONO_APP = `import { Hono } from "hono";

const app = new Hono();

app.get("/", (c) => c.text("Hello from Hono on Portico!"));
app.get("/users/:id", (c) => c.json({ id: c.req.param("id"), agent: c.req.header("user-agent") ?? null }));
app.post("/users", async (c) => c.json(await c.req.json(), 201));

export default app;
`;

/** A TypeScript app importing a TypeScript helper the way tsc's NodeNext projects write it (./x.js). */
export const TS_APP = `import type { App, AppInfo } from "portico";
import { greet } from "./greet.js";

interface Greeting {
  readonly text: string;
}

const app: App = {
  fetch(request: Request, info: AppInfo): Response {
    const greeting: Greeting = { text: greet(new URL(request.url).searchParams.get("name") ?? "world") };
    return new Response(greeting.text, { headers: { "x-tls": String(info.tls) } });
  },
};

export default app;
`;

export const TS_HELPER = `export function greet(name: string): string {
  return \`hello, \${name}\`;
}
`;
