// The plain-HTTP listener next to an HTTPS one (--http-port): answers ACME HTTP-01 challenges
// (RFC 8555 §8.3) and sends everything else to the same host, path and query over https with 308,
// which keeps the method and body (RFC 9110 §15.4.9). The TLS port is named in the URL unless it is
// 443. A request without a host cannot be redirected: 400. A token this process does not know is
// looked up in the data directory, where another Portico sharing it may be ordering.

import { readTextFile } from "../common/fs-async.ts";
import path from "node:path";
import type { Handler } from "../http/handler.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";

const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";
/** ACME tokens are base64url (RFC 8555 §8.3): nothing else is looked up on disk. */
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

export class HttpsRedirect implements Handler {
  /** HTTP-01 tokens under way → key authorizations; the worker replaces the contents as orders run. */
  readonly tokens: Map<string, string>;
  readonly #portSuffix: string;
  /** The data directory's published answers (tls/acme/storage.ts), or "" to look in memory only. */
  readonly #challengeDir: string;

  constructor(tokens: Map<string, string>, httpsPort: number, challengeDir = "") {
    this.tokens = tokens;
    this.#portSuffix = httpsPort === 443 ? "" : `:${httpsPort}`;
    this.#challengeDir = challengeDir;
  }

  handle(req: Request, res: Response): boolean | Promise<boolean> {
    const target = req.path;
    if (target.startsWith(CHALLENGE_PREFIX)) {
      const token = target.slice(CHALLENGE_PREFIX.length);
      const answer = this.tokens.get(token);
      if (answer !== undefined) {
        sendAnswer(res, answer);
        return true;
      }
      if (this.#challengeDir !== "" && TOKEN.test(token)) return this.#answerFromDisk(token, req, res);
    }
    return this.#redirect(req, res);
  }

  async #answerFromDisk(token: string, req: Request, res: Response): Promise<boolean> {
    let answer: string;
    try {
      answer = await readTextFile(path.join(this.#challengeDir, token));
    } catch {
      return this.#redirect(req, res);
    }
    sendAnswer(res, answer);
    return true;
  }

  #redirect(req: Request, res: Response): boolean {
    const path = req.path;
    const host = hostWithoutPort(req.host);
    if (host === "") {
      res.send(400, ["Content-Type", "text/plain; charset=utf-8"], "400 Bad Request: no Host to redirect to HTTPS\n");
      return true;
    }
    const target = path === "" || path === "*" ? "/" : `${path}${req.query}`;
    const location = `https://${host}${this.#portSuffix}${target}`;
    res.send(308, ["Location", location, "Content-Type", "text/plain; charset=utf-8"], `Redirecting to ${location}\n`);
    return true;
  }
}

function sendAnswer(res: Response, keyAuthorization: string): void {
  res.send(200, ["Content-Type", "application/octet-stream", "Cache-Control", "no-store"], keyAuthorization);
}

/** "example.com:8080" → "example.com", "[::1]:80" → "[::1]" (RFC 9110 §7.2 Host = uri-host [":" port]). */
export function hostWithoutPort(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? "" : host.slice(0, end + 1);
  }
  const colon = host.indexOf(":");
  const name = colon === -1 ? host : host.slice(0, colon);
  // A host is reg-name or IPv4 (RFC 3986 §3.2.2): nothing that could break out of the URL.
  return /^[A-Za-z0-9.\-_~!$&'()*+,;=%]*$/.test(name) ? name : "";
}
