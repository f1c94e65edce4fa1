// The TechEmpower routes as a bare fetch handler (no framework), for app-instructions.ts: with
// BARE_APP_RESPONSE=undici it answers with undici's own Response class (which Portico's lightweight
// `Response` global inherits from) instead of the global, to measure what the lightweight one saves.

import type { App } from "../../src/app/types.ts";

const ResponseClass: typeof Response =
  process.env.BARE_APP_RESPONSE === "undici" ? (Object.getPrototypeOf(Response) as typeof Response) : Response;
const TEXT = { "content-type": "text/plain" };
const JSON_TYPE = { "content-type": "application/json" };

export default {
  fetch(request: Request): Response {
    const url = request.url;
    if (url.endsWith("/json"))
      return new ResponseClass(JSON.stringify({ message: "Hello, World!" }), { headers: JSON_TYPE });
    if (url.endsWith("/plaintext")) return new ResponseClass("Hello, World!", { headers: TEXT });
    return new ResponseClass("Not Found", { status: 404 });
  },
} satisfies App;
