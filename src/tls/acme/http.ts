// The HTTPS requests of an ACME client: JSON out, JSON or PEM back, over one keep-alive agent that
// trusts Node's bundled roots plus the operator's --acme-ca-root (a private or test CA).
// Not here: signing (jws.ts), the protocol (client.ts).

import { Buffer } from "node:buffer";
import https from "node:https";
import tls from "node:tls";

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

const TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 1 << 20;

export class AcmeHttp {
  readonly #agent: https.Agent;
  readonly #userAgent: string;

  constructor(extraRoots: string, userAgent: string) {
    this.#agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ...(extraRoots !== "" ? { ca: [...tls.rootCertificates, extraRoots] } : {}),
    });
    this.#userAgent = userAgent;
  }

  request(
    method: "GET" | "HEAD" | "POST",
    url: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<HttpAnswer> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.#agent,
          timeout: TIMEOUT_MS,
          headers: {
            "User-Agent": this.#userAgent,
            Accept: accept,
            ...(data !== undefined ? { "Content-Type": "application/jose+json", "Content-Length": data.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) req.destroy(new Error(`${url}: answer larger than 1 MiB`));
            else chunks.push(chunk);
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${url}: no answer in ${TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end(data);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Retry-After (RFC 9110 §10.2.3) as milliseconds from now: seconds or an HTTP-date; -1 when absent. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number {
  if (typeof value !== "string") return -1;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? -1 : Math.max(0, date - now);
}
