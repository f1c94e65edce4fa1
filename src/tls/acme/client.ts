// An ACME client (RFC 8555) for one CA and one account: the directory, nonces, the account, orders,
// authorizations and challenges, finalization and the certificate, and renewal information (ARI,
// RFC 9773) where the CA offers it. Every request is signed (jws.ts); a badNonce answer is retried
// with the fresh nonce it carries (§6.5); a problem document becomes an AcmeProblem with the CA's
// detail and any Retry-After (§6.6, §6.7), which the caller turns into back-off.
// Not here: which names to order or when (manager.ts), storage (storage.ts), answering challenges.

import type { Buffer } from "node:buffer";
import { TlsError } from "../errors.ts";
import { AcmeHttp, type HttpAnswer, retryAfterMs } from "./http.ts";
import type { AccountKey } from "./jws.ts";

export interface Directory {
  readonly newNonce: string;
  readonly newAccount: string;
  readonly newOrder: string;
  readonly renewalInfo?: string;
  readonly meta?: { readonly termsOfService?: string };
}

export interface Challenge {
  readonly type: string;
  readonly url: string;
  readonly token: string;
  readonly status: string;
  readonly error?: Problem;
}

export interface Authorization {
  readonly status: string;
  readonly identifier: { readonly type: string; readonly value: string };
  readonly challenges: readonly Challenge[];
}

export interface Order {
  readonly status: string;
  readonly authorizations: readonly string[];
  readonly finalize: string;
  readonly certificate?: string;
  readonly error?: Problem;
}

interface Problem {
  readonly type?: string;
  readonly detail?: string;
  readonly subproblems?: ReadonlyArray<{ readonly detail?: string }>;
}

/** An error document from the CA (RFC 8555 §6.7), or a transport failure reaching it. */
export class AcmeProblem extends TlsError {
  /** "urn:ietf:params:acme:error:rateLimited" and the like; "" when the CA sent no document. */
  readonly type: string;
  /** How long the CA asked us to wait (Retry-After), in ms; -1 when it did not say. */
  readonly retryAfterMs: number;

  constructor(type: string, message: string, retryAfter: number, network = false) {
    super(network ? "ACME_NETWORK" : "ACME_PROBLEM", message);
    this.type = type;
    this.retryAfterMs = retryAfter;
  }
}

const ERROR_PREFIX = "urn:ietf:params:acme:error:";
const BAD_NONCE_RETRIES = 5;
const POLL_TIMEOUT_MS = 120_000;

function describe(problem: Problem | undefined): string {
  if (problem === undefined) return "no detail given";
  const type = problem.type?.startsWith(ERROR_PREFIX) ? problem.type.slice(ERROR_PREFIX.length) : (problem.type ?? "");
  const sub = problem.subproblems?.map((s) => s.detail).filter((d) => d !== undefined) ?? [];
  return [type, problem.detail, ...sub].filter((s) => s !== undefined && s !== "").join(": ");
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export class AcmeClient {
  readonly #directoryUrl: string;
  readonly #http: AcmeHttp;
  readonly key: AccountKey;
  #directory: Directory | null = null;
  #nonces: string[] = [];
  /** The account URL once known (RFC 8555 §7.3: the "kid" of every later request). */
  #kid: string | null;

  constructor(
    directoryUrl: string,
    key: AccountKey,
    options: { caRoot: string; userAgent: string; accountUrl?: string },
  ) {
    this.#directoryUrl = directoryUrl;
    this.key = key;
    this.#http = new AcmeHttp(options.caRoot, options.userAgent);
    this.#kid = options.accountUrl ?? null;
  }

  get accountUrl(): string | null {
    return this.#kid;
  }

  close(): void {
    this.#http.close();
  }

  async #send(method: "GET" | "HEAD" | "POST", url: string, body?: unknown, accept?: string): Promise<HttpAnswer> {
    try {
      return await this.#http.request(method, url, body, accept);
    } catch (error) {
      throw new AcmeProblem("", `cannot reach the ACME CA at ${url}: ${(error as Error).message}`, -1, true);
    }
  }

  async directory(): Promise<Directory> {
    if (this.#directory !== null) return this.#directory;
    const answer = await this.#send("GET", this.#directoryUrl);
    if (answer.status !== 200) throw this.#problem(answer, `the ACME directory ${this.#directoryUrl}`);
    const directory = JSON.parse(answer.body.toString()) as Directory;
    if (typeof directory.newNonce !== "string" || typeof directory.newOrder !== "string")
      throw new AcmeProblem("", `${this.#directoryUrl} is not an ACME directory`, -1);
    this.#directory = directory;
    return directory;
  }

  async #nonce(): Promise<string> {
    const kept = this.#nonces.pop();
    if (kept !== undefined) return kept;
    const { newNonce } = await this.directory();
    const answer = await this.#send("HEAD", newNonce);
    const nonce = answer.headers["replay-nonce"];
    if (typeof nonce !== "string") throw this.#problem(answer, "a new nonce");
    return nonce;
  }

  #keepNonce(answer: HttpAnswer): void {
    const nonce = answer.headers["replay-nonce"];
    if (typeof nonce === "string") this.#nonces.push(nonce);
  }

  #problem(answer: HttpAnswer, what: string): AcmeProblem {
    let problem: Problem | undefined;
    try {
      problem = JSON.parse(answer.body.toString()) as Problem;
    } catch {
      problem = { detail: `HTTP ${answer.status}` };
    }
    return new AcmeProblem(
      problem.type ?? "",
      `${what}: ${describe(problem)}`,
      retryAfterMs(answer.headers["retry-after"]),
    );
  }

  /** A signed POST (payload null = POST-as-GET, §6.3); badNonce is retried with the nonce it brought. */
  async post(url: string, payload: unknown, what: string, accept?: string): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      const nonce = await this.#nonce();
      const body = this.key.sign(url, nonce, payload, this.#kid);
      const answer = await this.#send("POST", url, body, accept);
      this.#keepNonce(answer);
      if (answer.status < 400) return answer;
      const problem = this.#problem(answer, what);
      if (problem.type === `${ERROR_PREFIX}badNonce` && attempt < BAD_NONCE_RETRIES) continue;
      throw problem;
    }
  }

  /** Finds or creates the account for this key (§7.3), agreeing to the CA's terms. */
  async account(email: string): Promise<string> {
    const { newAccount } = await this.directory();
    const payload = {
      termsOfServiceAgreed: true,
      ...(email !== "" ? { contact: [`mailto:${email}`] } : {}),
    };
    this.#kid = null;
    const answer = await this.post(newAccount, payload, "creating the ACME account");
    const location = answer.headers.location;
    if (typeof location !== "string") throw new AcmeProblem("", "the CA gave the new account no URL", -1);
    this.#kid = location;
    return location;
  }

  /** A new order for `names` (§7.4); `replaces` names the certificate it renews (RFC 9773 §5). */
  async newOrder(names: readonly string[], replaces: string | null): Promise<{ url: string; order: Order }> {
    const { newOrder } = await this.directory();
    const payload = {
      identifiers: names.map((value) => ({ type: "dns", value })),
      ...(replaces !== null ? { replaces } : {}),
    };
    const answer = await this.post(newOrder, payload, `ordering a certificate for ${names.join(", ")}`);
    const url = answer.headers.location;
    if (typeof url !== "string") throw new AcmeProblem("", "the CA gave the new order no URL", -1);
    return { url, order: JSON.parse(answer.body.toString()) as Order };
  }

  async authorization(url: string): Promise<Authorization> {
    const answer = await this.post(url, null, "reading an authorization");
    return JSON.parse(answer.body.toString()) as Authorization;
  }

  /** Tells the CA the challenge can be validated now (§7.5.1). */
  async respond(challenge: Challenge): Promise<void> {
    await this.post(challenge.url, {}, `answering the ${challenge.type} challenge`);
  }

  /**
   * Polls `url` (POST-as-GET) until its status leaves `pending`/`processing` (§7.5.1, §7.4), waiting
   * as Retry-After says (1 s when it does not), for at most two minutes.
   */
  async poll<T extends { status: string }>(url: string, what: string): Promise<T> {
    const deadline = Date.now() + POLL_TIMEOUT_MS;
    for (;;) {
      const answer = await this.post(url, null, what);
      const value = JSON.parse(answer.body.toString()) as T;
      if (value.status !== "pending" && value.status !== "processing") return value;
      if (Date.now() > deadline) throw new AcmeProblem("", `${what}: still ${value.status} after two minutes`, -1);
      const wait = retryAfterMs(answer.headers["retry-after"]);
      await sleep(Math.min(Math.max(wait, 1000), 10_000));
    }
  }

  /** Sends the CSR (§7.4) and waits for the order to be valid. */
  async finalize(orderUrl: string, order: Order, csr: Buffer): Promise<Order> {
    await this.post(order.finalize, { csr: csr.toString("base64url") }, "finalizing the order");
    const done = await this.poll<Order>(orderUrl, "waiting for the certificate");
    if (done.status !== "valid")
      throw new AcmeProblem("", `the order ended ${done.status}: ${describe(done.error)}`, -1);
    return done;
  }

  /** The certificate chain as PEM (§7.4.2), leaf first. */
  async certificate(url: string): Promise<string> {
    const answer = await this.post(url, null, "downloading the certificate", "application/pem-certificate-chain");
    return answer.body.toString();
  }

  /**
   * The CA's suggested renewal window for a certificate (RFC 9773 §4.2), with how long the answer
   * holds (Retry-After); null when the CA has no renewal information.
   */
  async renewalInfo(certId: string): Promise<{ start: number; end: number; checkAgainMs: number } | null> {
    const { renewalInfo } = await this.directory();
    if (renewalInfo === undefined) return null;
    const answer = await this.#send("GET", `${renewalInfo.replace(/\/$/, "")}/${certId}`);
    if (answer.status !== 200) return null;
    const info = JSON.parse(answer.body.toString()) as { suggestedWindow?: { start?: string; end?: string } };
    const start = Date.parse(info.suggestedWindow?.start ?? "");
    const end = Date.parse(info.suggestedWindow?.end ?? "");
    if (Number.isNaN(start) || Number.isNaN(end) || end < start) return null;
    return { start, end, checkAgainMs: retryAfterMs(answer.headers["retry-after"]) };
  }
}
