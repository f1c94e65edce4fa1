// Let's Encrypt's test CA for end-to-end ACME tests: Debian's `pebble` with `pebble-challtestsrv` as
// its DNS, answering every name with 127.0.0.1 so validations reach the Portico under test on the
// ports given. Its own HTTPS certificate comes from a throwaway CA made with openssl in a temp dir.
// Outside CI a machine without these packages skips the tests (with the reason); in CI they fail.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { CertificateFactory } from "./certificates.ts";

export interface Pebble {
  /** The ACME directory URL. */
  readonly directory: string;
  /** The root that signs pebble's own HTTPS certificate (--acme-ca-root). */
  readonly caFile: string;
  /** Pebble's root for the certificates it issues (fetched from its management port). */
  issuerRoot(): Promise<string>;
  /** Makes the mock DNS answer `host` with `address` (or the default again with null). */
  setAddress(host: string, address: string | null): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

/** Why pebble cannot run here, or null when it can. */
export function pebbleMissing(): string | null {
  for (const tool of ["pebble", "pebble-challtestsrv", "openssl"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install pebble openssl)`;
    }
  }
  return null;
}

/** In CI a missing tool is a failure; elsewhere the test is skipped with the reason. */
export function skipWithoutPebble(): string | false {
  const missing = pebbleMissing();
  if (missing === null) return false;
  if (process.env.CI !== undefined && process.env.CI !== "") throw new Error(`CI needs pebble: ${missing}`);
  return missing;
}

/** A TCP port free right now (and, in practice, its UDP twin). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitFor(child: ChildProcess, text: () => string, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${text()}`)), 20_000);
    const check = (): void => {
      if (pattern.test(text())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${text()}`));
    });
  });
}

export interface PebbleOptions {
  /** Where validations connect: the Portico's plain and TLS ports. */
  readonly httpPort: number;
  readonly tlsPort: number;
  /** Lifetime of issued certificates in seconds (pebble's default is five years). */
  readonly validitySeconds?: number;
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const certs = new CertificateFactory();
  const dir = certs.dir;
  const ca = certs.authority("pebble test CA");
  const own = certs.issue(ca, "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const [acmePort, managementPort, dnsPort, challPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  fs.writeFileSync(
    path.join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: own.cert,
        privateKey: own.key,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...(options.validitySeconds !== undefined ? { certificateValidityPeriod: options.validitySeconds } : {}),
      },
    }),
  );
  let dnsOut = "";
  const dns = spawn(
    "pebble-challtestsrv",
    [
      "-defaultIPv4",
      "127.0.0.1",
      "-defaultIPv6",
      "",
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-management",
      `127.0.0.1:${challPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  dns.stdout.on("data", (d: Buffer) => (dnsOut += d));
  dns.stderr.on("data", (d: Buffer) => (dnsOut += d));
  await waitFor(dns, () => dnsOut, /Starting management server/, "pebble-challtestsrv");
  let out = "";
  // No artificial sleeps before validations; bad nonces stay at pebble's default 5% so the retry is exercised.
  const pebble = spawn("pebble", ["-config", path.join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_AUTHZREUSE: "0" },
  });
  pebble.stdout.on("data", (d: Buffer) => (out += d));
  pebble.stderr.on("data", (d: Buffer) => (out += d));
  await waitFor(pebble, () => out, /ACME directory available/, "pebble");
  const management = async (pathname: string, body?: unknown): Promise<string> => {
    const https = await import("node:https");
    return new Promise((resolve, reject) => {
      const req = https.request(
        `https://127.0.0.1:${managementPort}${pathname}`,
        { ca: fs.readFileSync(ca.cert), method: body === undefined ? "GET" : "POST" },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  };
  return {
    directory: `https://127.0.0.1:${acmePort}/dir`,
    caFile: ca.cert,
    issuerRoot: () => management("/roots/0"),
    async setAddress(host, address) {
      const http = await import("node:http");
      const body = JSON.stringify(address === null ? { host: `${host}.` } : { host: `${host}.`, addresses: [address] });
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          `http://127.0.0.1:${challPort}/${address === null ? "clear-a" : "add-a"}`,
          { method: "POST" },
          (res) => {
            res.resume();
            res.on("end", () => resolve());
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    },
    log: () => out,
    async stop() {
      for (const child of [pebble, dns]) {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGTERM");
          await exited;
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
