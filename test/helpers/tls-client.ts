// A small HTTPS client for tests: one request over a fresh TLS connection to 127.0.0.1 with the SNI
// name, the trust and the TLS options given, reporting what the handshake chose (certificate, key
// type, protocol, ALPN, resumption) with the response. Also a waiter for a server's log lines.

import type { X509Certificate } from "node:crypto";
import tls from "node:tls";
import type { RunningServer } from "./server.ts";

export interface TlsAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
  /** The leaf certificate's SHA-256 fingerprint and subjectAltName. */
  readonly fingerprint: string;
  readonly altNames: string;
  readonly keyType: string;
  readonly authorized: boolean;
  readonly authorizationError: string;
  readonly protocol: string;
  readonly alpn: string;
  readonly reused: boolean;
  readonly session: Buffer | undefined;
}

export interface TlsRequestOptions {
  readonly servername?: string;
  readonly ca?: string | string[];
  readonly session?: Buffer;
  readonly path?: string;
  readonly maxVersion?: tls.SecureVersion;
  readonly minVersion?: tls.SecureVersion;
  readonly ciphers?: string;
  readonly sigalgs?: string;
  readonly ALPNProtocols?: string[];
}

/** GET `path` with Connection: close; resolves with the response and what the handshake chose. */
export function tlsGet(port: number, options: TlsRequestOptions = {}): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
      ca: options.ca,
      rejectUnauthorized: false,
      session: options.session,
      maxVersion: options.maxVersion,
      minVersion: options.minVersion,
      ciphers: options.ciphers,
      sigalgs: options.sigalgs,
      ALPNProtocols: options.ALPNProtocols ?? ["http/1.1"],
    });
    socket.on("session", (s: Buffer) => {
      session ??= s;
    });
    let data = "";
    let raw: X509Certificate | undefined;
    let chosen = { protocol: "", alpn: "", reused: false, authorized: false, authorizationError: "" };
    socket.setEncoding("utf8");
    socket.on("secureConnect", () => {
      raw = socket.getPeerX509Certificate();
      chosen = {
        protocol: socket.getProtocol() ?? "",
        alpn: String(socket.alpnProtocol),
        reused: socket.isSessionReused(),
        authorized: socket.authorized,
        authorizationError: String(socket.authorizationError ?? ""),
      };
      const host = options.servername ?? "localhost";
      socket.write(`GET ${options.path ?? "/"} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    socket.on("data", (d: string) => (data += d));
    socket.on("error", reject);
    socket.on("close", () => {
      const split = data.indexOf("\r\n\r\n");
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0),
        head: split === -1 ? data : data.slice(0, split),
        body: split === -1 ? "" : data.slice(split + 4),
        fingerprint: raw?.fingerprint256 ?? "",
        altNames: raw?.subjectAltName ?? "",
        keyType: raw?.publicKey.asymmetricKeyType ?? "",
        ...chosen,
        session,
      });
    });
  });
}

/** Waits until the server's stdout matches `pattern` (generous: the machine may be loaded). */
export async function waitForOutput(server: RunningServer, pattern: RegExp, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = server.stdout();
    const m = pattern.exec(out);
    if (m !== null) return m[0];
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} in the output after ${timeoutMs} ms\nstdout: ${out}\nstderr: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
