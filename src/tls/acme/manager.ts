// Automatic certificates for a list of names from one ACME CA: load what the data directory holds
// (served at once after a restart), order what is missing, renew when due (renewal.ts) and retry
// failures with back-off, one log line each. One certificate per name, one name at a time, under
// the name's lock in the data directory; the old certificate is served until the new one is stored.
// Challenges: HTTP-01 where a plain listener exists, else TLS-ALPN-01 (RFC 8737); every thread is
// made to answer (publish) before the CA is told to validate.
// Runs in one thread (the supervisor); the certificates it installs are served by every thread.

import { type CertificatePair, checkCertificatePair } from "../certificate.ts";
import type { ChallengeCertificate } from "../endpoint.ts";
import { createCsr, createValidationCertificate, generateKeyPair, renewalCertId } from "../x509.ts";
import { AcmeClient, AcmeProblem, type Authorization, type Challenge, type Order } from "./client.ts";
import { AccountKey } from "./jws.ts";
import { formatDelay, renewalTime, retryDelay, timeInWindow } from "./renewal.ts";
import { AcmeStorage } from "./storage.ts";

/** What every thread must answer while validations run. */
export interface ChallengeSet {
  /** HTTP-01: token → key authorization (RFC 8555 §8.3). */
  readonly http: ReadonlyArray<readonly [string, string]>;
  /** TLS-ALPN-01: the validation certificate per name (RFC 8737 §3). */
  readonly tlsAlpn: readonly ChallengeCertificate[];
}

export interface AcmeManagerOptions {
  readonly domains: readonly string[];
  readonly directoryUrl: string;
  readonly email: string;
  /** Extra roots (PEM) trusted for the CA's HTTPS. */
  readonly caRoot: string;
  readonly dataDir: string;
  readonly userAgent: string;
  /** A plain HTTP listener exists, so HTTP-01 can be answered. */
  readonly http01: boolean;
  /** Makes every thread answer `challenges`; resolves once all do. */
  readonly publish: (challenges: ChallengeSet) => Promise<void>;
  /** A new or renewed certificate for `name` is stored: serve it. */
  readonly installed: (name: string, pair: CertificatePair) => void;
  readonly log: (line: string) => void;
  /** The first retry after a failure (it doubles from there). */
  readonly firstRetryMs: number;
}

interface NameState {
  pair: CertificatePair | null;
  dueAt: number;
  failures: number;
  ariCheckAt: number;
}

/** How often the manager looks even when nothing is due (timers drift across a machine's sleep). */
const CHECK_MS = 60 * 60_000;
/** How soon to look again when another process holds a name's lock. */
const LOCKED_RETRY_MS = 2000;
const ARI_DEFAULT_MS = 6 * 60 * 60_000;
const ERROR_PREFIX = "urn:ietf:params:acme:error:";

export class AcmeManager {
  readonly #options: AcmeManagerOptions;
  readonly #storage: AcmeStorage;
  readonly #names = new Map<string, NameState>();
  #client: AcmeClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #stopped = false;
  readonly #http = new Map<string, readonly [string, string]>();
  readonly #tlsAlpn = new Map<string, ChallengeCertificate>();

  constructor(options: AcmeManagerOptions) {
    this.#options = options;
    this.#storage = new AcmeStorage(options.dataDir, options.directoryUrl);
    for (const name of options.domains) this.#names.set(name, { pair: null, dueAt: 0, failures: 0, ariCheckAt: 0 });
  }

  /** The stored certificates, usable at once (a restart orders nothing it already has). */
  loadStored(): CertificatePair[] {
    const out: CertificatePair[] = [];
    for (const [name, state] of this.#names) {
      const stored = this.#storage.readCertificate(name);
      if (stored === null) continue;
      try {
        const pair = checkCertificatePair(stored.cert, stored.key, `${this.#storage.root} (${name})`);
        state.pair = pair;
        state.dueAt = renewalTime(pair.notBefore, pair.notAfter, Math.random());
        state.ariCheckAt = stored.ariCheckAt;
        out.push(pair);
      } catch (error) {
        this.#options.log(`portico: acme: ignoring the stored certificate of ${name}: ${(error as Error).message}`);
      }
    }
    return out;
  }

  /** Starts ordering and renewing in the background. */
  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#client?.close();
  }

  /** Marks every certificate due now (tests, and an operator's forced renewal). */
  renewAll(): void {
    for (const state of this.#names.values()) state.dueAt = 0;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, Math.min(delayMs, CHECK_MS)));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    try {
      for (const [name, state] of this.#names) {
        if (this.#stopped) return;
        await this.#consultRenewalInfo(name, state);
        if (Date.now() >= state.dueAt) await this.#obtain(name, state);
      }
    } finally {
      this.#running = false;
    }
    let next = Number.POSITIVE_INFINITY;
    for (const state of this.#names.values()) next = Math.min(next, state.dueAt, state.ariCheckAt || next);
    this.#schedule(next - Date.now());
  }

  async #account(): Promise<AcmeClient> {
    if (this.#client !== null && this.#client.accountUrl !== null) return this.#client;
    let stored = this.#storage.readAccount();
    if (stored === null) {
      const keys = await generateKeyPair();
      this.#storage.writeAccountKey(keys.pem);
      stored = { key: keys.pem, url: null };
    }
    const options = { caRoot: this.#options.caRoot, userAgent: this.#options.userAgent };
    const client = new AcmeClient(this.#options.directoryUrl, new AccountKey(stored.key), options);
    // newAccount with a known key answers with the existing account (RFC 8555 §7.3.1).
    const url = await client.account(this.#options.email);
    if (url !== stored.url) this.#storage.writeAccountUrl(url);
    this.#client = client;
    return client;
  }

  /** RFC 9773: where the CA offers renewal information, its window decides when to renew. */
  async #consultRenewalInfo(name: string, state: NameState): Promise<void> {
    const pair = state.pair;
    if (pair === null || Date.now() < state.ariCheckAt) return;
    const certId = renewalCertId(pair.cert);
    if (certId === null) return;
    try {
      const client = await this.#account();
      const window = await client.renewalInfo(certId);
      state.ariCheckAt =
        Date.now() + (window !== null && window.checkAgainMs > 0 ? window.checkAgainMs : ARI_DEFAULT_MS);
      if (window !== null) state.dueAt = timeInWindow(window.start, window.end, Math.random());
      this.#storage.writeNotes(name, state.ariCheckAt);
    } catch {
      // No renewal information now: the lifetime rule stands; try again later.
      state.ariCheckAt = Date.now() + ARI_DEFAULT_MS;
    }
  }

  async #obtain(name: string, state: NameState): Promise<void> {
    const lock = this.#storage.lock(name);
    if (lock === null) {
      // Another process orders it; once it is done its certificate is in the directory.
      this.#adoptStored(name, state);
      if (Date.now() >= state.dueAt) state.dueAt = Date.now() + LOCKED_RETRY_MS;
      return;
    }
    try {
      if (this.#adoptStored(name, state) && Date.now() < state.dueAt) return;
      const pair = await this.#order(name, state.pair);
      this.#storage.writeCertificate(name, pair.cert, pair.key);
      state.pair = pair;
      state.failures = 0;
      state.ariCheckAt = 0;
      state.dueAt = renewalTime(pair.notBefore, pair.notAfter, Math.random());
      this.#options.installed(name, pair);
      this.#options.log(
        `portico: acme: certificate for ${name} obtained (valid until ${new Date(pair.notAfter).toISOString()})`,
      );
    } catch (error) {
      state.failures++;
      const floor = error instanceof AcmeProblem ? error.retryAfterMs : -1;
      const delay = retryDelay(state.failures, this.#options.firstRetryMs, floor);
      state.dueAt = Date.now() + delay;
      if (error instanceof AcmeProblem && error.code === "ACME_NETWORK") this.#client = null;
      this.#options.log(
        `portico: acme: could not get a certificate for ${name}: ${(error as Error).message}; trying again in ${formatDelay(delay)}`,
      );
    } finally {
      lock.release();
    }
  }

  /** Takes a certificate another process stored meanwhile; true when there was a newer one. */
  #adoptStored(name: string, state: NameState): boolean {
    const stored = this.#storage.readCertificate(name);
    if (stored === null || stored.cert === state.pair?.cert) return false;
    try {
      const pair = checkCertificatePair(stored.cert, stored.key, `${this.#storage.root} (${name})`);
      state.pair = pair;
      state.dueAt = renewalTime(pair.notBefore, pair.notAfter, Math.random());
      this.#options.installed(name, pair);
      return true;
    } catch {
      return false;
    }
  }

  /** One order, start to end (RFC 8555 §7.4): authorizations, finalize with a CSR, download. */
  async #order(name: string, previous: CertificatePair | null): Promise<CertificatePair> {
    const client = await this.#account();
    const replaces =
      previous !== null && (await client.directory()).renewalInfo !== undefined ? renewalCertId(previous.cert) : null;
    let created: { url: string; order: Order };
    try {
      created = await client.newOrder([name], replaces);
    } catch (error) {
      // A CA that will not take "replaces" (already replaced, unknown) still issues a plain order.
      if (replaces === null || !(error instanceof AcmeProblem) || error.type === "") throw error;
      created = await client.newOrder([name], null);
    }
    let order = created.order;
    for (const url of order.authorizations) await this.#authorize(client, url);
    if (order.status === "pending") order = await client.poll<Order>(created.url, `waiting for the order of ${name}`);
    if (order.status !== "ready" && order.status !== "valid")
      throw new AcmeProblem("", `the order for ${name} is ${order.status}`, -1);
    const keys = await generateKeyPair();
    const done =
      order.status === "valid" ? order : await client.finalize(created.url, order, await createCsr([name], keys));
    if (done.certificate === undefined) throw new AcmeProblem("", `the CA gave no certificate for ${name}`, -1);
    const chain = await client.certificate(done.certificate);
    return checkCertificatePair(chain, keys.pem, `the certificate the CA issued for ${name}`);
  }

  async #authorize(client: AcmeClient, url: string): Promise<void> {
    const authz = await client.authorization(url);
    if (authz.status === "valid") return;
    const name = authz.identifier.value;
    if (authz.status !== "pending") throw new AcmeProblem("", `the authorization for ${name} is ${authz.status}`, -1);
    const challenge = this.#pickChallenge(authz);
    const keyAuthorization = client.key.keyAuthorization(challenge.token);
    if (challenge.type === "http-01") {
      this.#http.set(name, [challenge.token, keyAuthorization]);
      this.#storage.writeChallenge(challenge.token, keyAuthorization);
    } else this.#tlsAlpn.set(name, { name, ...(await createValidationCertificate(name, keyAuthorization)) });
    try {
      await this.#publish();
      await client.respond(challenge);
      const done = await client.poll<Authorization>(url, `validating ${name}`);
      if (done.status !== "valid") {
        const failed = done.challenges.find((c) => c.error !== undefined)?.error;
        const detail = failed?.detail ?? `authorization ${done.status}`;
        const type = (failed?.type ?? "").replace(ERROR_PREFIX, "");
        throw new AcmeProblem(
          "",
          `${challenge.type} validation of ${name} failed${type !== "" ? ` (${type})` : ""}: ${detail}`,
          -1,
        );
      }
    } finally {
      if (challenge.type === "http-01") this.#storage.removeChallenge(challenge.token);
      this.#http.delete(name);
      this.#tlsAlpn.delete(name);
      await this.#publish();
    }
  }

  /** HTTP-01 when a plain listener can answer it, else TLS-ALPN-01 on the TLS port. */
  #pickChallenge(authz: Authorization): Challenge {
    const offered = (type: string): Challenge | undefined => authz.challenges.find((c) => c.type === type);
    const chosen = (this.#options.http01 ? offered("http-01") : undefined) ?? offered("tls-alpn-01");
    if (chosen === undefined) {
      const types = authz.challenges.map((c) => c.type).join(", ");
      throw new AcmeProblem(
        "",
        `the CA offers no challenge Portico can answer for ${authz.identifier.value} (${types})`,
        -1,
      );
    }
    return chosen;
  }

  #publish(): Promise<void> {
    return this.#options.publish({ http: [...this.#http.values()], tlsAlpn: [...this.#tlsAlpn.values()] });
  }
}
