// The public face of application handlers: what an app module's default export is (App) and what its
// fetch receives beside the request (AppInfo). Types and one identity helper; the behaviour is in handler.ts.

/** The connection a request came on, handed to `fetch` as its second argument (Hono: `c.env`). */
export interface AppInfo {
  /** The client's address (IPv4 or IPv6 text, without brackets). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The port the request arrived on. */
  readonly localPort: number;
  /** True when the connection is TLS (the request's URL is then https:). */
  readonly tls: boolean;
}

/**
 * What `portico --app FILE` loads: the default export of FILE, an object with a fetch method (a Hono
 * app is one; so is a Cloudflare Workers or Bun module's default export).
 */
export interface App<Info = AppInfo> {
  fetch(request: Request, info: Info): Response | Promise<Response>;
}

/** Returns `app` unchanged: a typed way to write `export default defineApp({ fetch(request, info) {…} })`. */
export function defineApp<T extends App>(app: T): T {
  return app;
}
