// The main thread's part of HTTPS: reads the certificate files (at start, and again on SIGHUP: a file
// that is missing, unreadable or whose key does not match is one line naming it, and the running
// certificates stay), runs the ACME manager or the local CA, and tells every worker when the set
// of certificates or the challenges to answer change. One thread does this work; every worker
// serves the result (http/uv-tls-accept.ts, http/net-tls-accept.ts).

import os from "node:os";
import type { TlsModel } from "../config/model.ts";
import type { AcmeManager, ChallengeSet } from "../tls/acme/manager.ts";
import { type CertificatePair, checkCertificatePair, readCertificatePair } from "../tls/certificate.ts";
import type { LocalCa } from "../tls/local-ca.ts";
import { C_CERTIFICATES_PENDING } from "./shared-memory.ts";

const NO_CHALLENGES: ChallengeSet = { http: [], tlsAlpn: [] };

/** What a worker needs to serve HTTPS: the certificates and the challenges under way. */
export interface TlsSnapshot {
  readonly pairs: readonly CertificatePair[];
  readonly challenges: ChallengeSet;
}

export interface TlsSupervisorOptions {
  readonly notice: (line: string) => void;
  /** Sends the new certificates to every worker. */
  readonly certificatesChanged: (pairs: readonly CertificatePair[]) => void;
  /** The shared control words: C_CERTIFICATES_PENDING is kept here (readiness fails while it is 1). */
  readonly control: Int32Array;
  /** Sends the challenges to every worker; resolves once each one answers them. */
  readonly publishChallenges: (challenges: ChallengeSet) => Promise<void>;
  readonly version: string;
}

export class TlsSupervisor {
  #config: TlsModel;
  readonly #options: TlsSupervisorOptions;
  #files: CertificatePair[] = [];
  /** ACME certificates by name, in --domain order. */
  readonly #acmePairs = new Map<string, CertificatePair>();
  #internal: CertificatePair | null = null;
  #placeholder: CertificatePair | null = null;
  #challenges: ChallengeSet = NO_CHALLENGES;
  #acme: AcmeManager | null = null;
  #ca: LocalCa | null = null;
  #internalTimer: NodeJS.Timeout | null = null;

  constructor(config: TlsModel, options: TlsSupervisorOptions) {
    this.#config = config;
    this.#options = options;
  }

  /** Reads the files and the stored or local certificates; throws a one-line error at fault. */
  async start(): Promise<void> {
    const config = this.#config;
    this.#files = readCertificateFiles(config);
    if (config.acme) await this.#startAcme(config);
    if (config.tlsInternal) await this.#startInternal(config);
    if (this.pairs.length === 0) {
      // ACME's first certificates are on their way: a self-signed stand-in lets the TLS port (and its
      // TLS-ALPN-01 answers) run meanwhile.
      const { createSelfSignedCertificate } = await import("../tls/x509.ts");
      const stand = await createSelfSignedCertificate(config.domains);
      this.#placeholder = checkCertificatePair(stand.cert, stand.key, "a stand-in certificate");
    }
    this.#publishWaiting();
    this.#acme?.start();
  }

  /** Readiness (/readyz) fails while ACME certifies names here and none of its certificates has arrived (stored ones count). */
  #publishWaiting(): void {
    const waiting = this.#config.acme && this.#acmePairs.size === 0;
    Atomics.store(this.#options.control, C_CERTIFICATES_PENDING, waiting ? 1 : 0);
  }

  /** The certificates to serve: files first (the first file is the default), then ACME, then local. */
  get pairs(): CertificatePair[] {
    const out = [...this.#files];
    for (const name of this.#config.acme ? this.#config.domains : []) {
      const pair = this.#acmePairs.get(name);
      if (pair !== undefined) out.push(pair);
    }
    if (this.#internal !== null) out.push(this.#internal);
    if (out.length === 0 && this.#placeholder !== null) out.push(this.#placeholder);
    return out;
  }

  get snapshot(): TlsSnapshot {
    return { pairs: this.pairs, challenges: this.#challenges };
  }

  /** Where the local CA's root is, for the banner; "" without --tls internal. */
  get rootFile(): string {
    return this.#ca?.rootFile ?? "";
  }

  /**
   * SIGHUP: reads the certificate files again. Throws (and changes nothing) when one is bad, so the
   * caller keeps the running configuration. ACME and the local CA carry on.
   */
  reload(next: TlsModel): void {
    const files = readCertificateFiles(next);
    const was = this.#config;
    if (
      next.acme !== was.acme ||
      next.domains.join(",") !== was.domains.join(",") ||
      next.tlsInternal !== was.tlsInternal ||
      next.internalNames.join(",") !== was.internalNames.join(",")
    )
      this.#options.notice(
        'portico: a change of the names ACME or the local CA certify (--acme, --domain, --tls; tls = "acme" or "internal") needs a restart; keeping the running ones',
      );
    this.#files = files;
    this.#config = {
      ...next,
      acme: was.acme,
      domains: was.domains,
      tlsInternal: was.tlsInternal,
      internalNames: was.internalNames,
    };
  }

  stop(): void {
    this.#acme?.stop();
    if (this.#internalTimer !== null) clearTimeout(this.#internalTimer);
  }

  async #startAcme(config: TlsModel): Promise<void> {
    const { AcmeManager } = await import("../tls/acme/manager.ts");
    const retry = Number(process.env.PORTICO_ACME_RETRY_MS);
    const manager = new AcmeManager({
      domains: config.domains,
      directoryUrl: config.acmeCa,
      email: config.acmeEmail,
      caRoot: config.acmeCaRoot,
      dataDir: config.dataDir,
      userAgent: `portico/${this.#options.version}`,
      http01: config.httpPort >= 0,
      firstRetryMs: Number.isFinite(retry) && retry > 0 ? retry : 60_000,
      log: this.#options.notice,
      publish: (challenges) => {
        this.#challenges = challenges;
        return this.#options.publishChallenges(challenges);
      },
      installed: (name, pair) => {
        this.#acmePairs.set(name, pair);
        this.#placeholder = null;
        this.#publishWaiting();
        this.#options.certificatesChanged(this.pairs);
      },
    });
    for (const pair of manager.loadStored()) this.#acmePairs.set(pair.names[0] ?? "", pair);
    this.#acme = manager;
  }

  async #startInternal(config: TlsModel): Promise<void> {
    const { LocalCa } = await import("../tls/local-ca.ts");
    const { renewalTime } = await import("../tls/acme/renewal.ts");
    const ca = await LocalCa.open(config.dataDir);
    this.#ca = ca;
    const { names, addresses } = internalNames(config);
    const issue = async (): Promise<void> => {
      try {
        const pair = await ca.issue(names, addresses);
        const first = this.#internal === null;
        this.#internal = pair;
        if (!first) this.#options.certificatesChanged(this.pairs);
        const due = renewalTime(pair.notBefore, pair.notAfter, Math.random()) - Date.now();
        this.#internalTimer = setTimeout(() => void issue(), due);
      } catch (error) {
        this.#options.notice(
          `portico: the local CA could not issue a certificate: ${(error as Error).message}; trying again in 1m`,
        );
        this.#internalTimer = setTimeout(() => void issue(), 60_000);
      }
      this.#internalTimer.unref();
    };
    await issue();
  }
}

/** Reads and checks every certificate pair of `config`; throws one line naming the file (and its place). */
export function readCertificateFiles(config: TlsModel): CertificatePair[] {
  return config.certFiles.map((f) => {
    try {
      return readCertificatePair(f.cert, f.key);
    } catch (error) {
      // A file's pair is named by its place in the file, not by the flags the message assumes.
      if (f.where === "" || !(error instanceof Error)) throw error;
      throw new Error(`${f.where}: ${error.message.replace(/^--(cert|key): /, "tls $1: ")}`);
    }
  });
}

/**
 * The local certificate's names: --domain (or the hosts of the sites with tls = "internal"), localhost,
 * and the HTTPS listeners' addresses (every local one for a listener on every address).
 */
function internalNames(config: TlsModel): { names: string[]; addresses: string[] } {
  const names = new Set<string>(config.internalNames);
  const addresses = new Set<string>(["127.0.0.1", "::1"]);
  names.add("localhost");
  for (const host of config.listenHosts) {
    if (host !== "" && /^[\d.]+$|:/.test(host)) addresses.add(host);
    else if (host !== "") names.add(host.toLowerCase());
    else {
      for (const list of Object.values(os.networkInterfaces())) {
        for (const info of list ?? []) if (!info.internal && info.family === "IPv4") addresses.add(info.address);
      }
    }
  }
  return { names: [...names], addresses: [...addresses] };
}
