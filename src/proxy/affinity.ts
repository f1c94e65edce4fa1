// The affinity key a hashing policy maps to an upstream: the client address, a request header, or a
// cookie (sticky sessions). Pure; "" when the request carries no such header or cookie.

import type { Request } from "../http/request.ts";

export type AffinitySource =
  | { readonly kind: "ip" }
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "cookie"; readonly name: string };

/** Parses "ip", "header:NAME" or "cookie:NAME"; null when malformed. */
export function parseAffinity(text: string): AffinitySource | null {
  if (text === "ip") return { kind: "ip" };
  const colon = text.indexOf(":");
  if (colon === -1) return null;
  const kind = text.slice(0, colon);
  const name = text.slice(colon + 1).trim();
  if (name === "" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return null;
  if (kind === "header") return { kind: "header", name: name.toLowerCase() };
  if (kind === "cookie") return { kind: "cookie", name };
  return null;
}

export function affinityKey(req: Request, source: AffinitySource): string {
  switch (source.kind) {
    case "ip":
      return req.remoteAddress;
    case "header":
      return req.header(source.name) ?? "";
    case "cookie":
      return cookieValue(req.header("cookie") ?? "", source.name);
  }
}

/** The value of cookie `name` in a Cookie field value (RFC 6265 §4.2.1), or "". */
export function cookieValue(header: string, name: string): string {
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return "";
}
