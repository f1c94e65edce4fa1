// The certificates one listener serves, and the choice among them for each handshake: by the SNI name
// (RFC 6066 §3) against every certificate's names, an exact name before a "*." wildcard (one label,
// RFC 6125 §6.4.3); no SNI, or a name nothing covers, gets the first certificate. For every key type
// (ECDSA, RSA…) the best match of that type joins one SecureContext, so a name with both an ECDSA and
// an RSA certificate is served by whichever the client can verify: OpenSSL picks by the client's
// signature algorithms. Every context is built here, once: a handshake's choice is two map lookups.
// Not here: reading files (certificate.ts), ticket keys (ticket-keys.ts), sockets.

import tls from "node:tls";
import type { CertificatePair } from "./certificate.ts";
import { MAX_VERSION, MIN_VERSION, SECURE_OPTIONS, SESSION_LIFETIME_S, TLS12_CIPHERS } from "./settings.ts";

/** Something that configures each new context (the shared ticket keys). */
export type ContextHook = (context: tls.SecureContext) => void;

/** A SecureContext with the shared settings and the given certificates (one per key type). */
export function createContext(
  pairs: ReadonlyArray<{ readonly cert: string; readonly key: string }>,
  hook?: ContextHook,
): tls.SecureContext {
  const context = tls.createSecureContext({
    cert: pairs.map((p) => p.cert),
    key: pairs.map((p) => p.key),
    minVersion: MIN_VERSION,
    maxVersion: MAX_VERSION,
    ciphers: TLS12_CIPHERS,
    secureOptions: SECURE_OPTIONS,
    sessionTimeout: SESSION_LIFETIME_S,
  });
  hook?.(context);
  return context;
}

/** Whether `name` (lower case) is covered by a certificate name (exact, or a one-label wildcard). */
export function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith("*.")) return false;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot) === pattern.slice(1);
}

export class CertificateStore {
  readonly pairs: readonly CertificatePair[];
  readonly #exact = new Map<string, tls.SecureContext>();
  /** Keyed by the wildcard's suffix with its dot: "*.example.com" → ".example.com". */
  readonly #wildcard = new Map<string, tls.SecureContext>();
  readonly #default: tls.SecureContext;
  readonly #contexts: tls.SecureContext[] = [];

  /** `pairs` in the operator's order: the first is the default. At least one. */
  constructor(pairs: readonly CertificatePair[], hook?: ContextHook) {
    if (pairs.length === 0) throw new RangeError("a certificate store needs a certificate");
    this.pairs = pairs;
    // Contexts are shared between names that select the same certificates.
    const byChoice = new Map<string, tls.SecureContext>();
    const contextFor = (name: string): tls.SecureContext => {
      const chosen = this.#choose(name);
      const key = chosen.map((p) => pairs.indexOf(p)).join(",");
      let context = byChoice.get(key);
      if (context === undefined) {
        context = createContext(chosen, hook);
        byChoice.set(key, context);
        this.#contexts.push(context);
      }
      return context;
    };
    const first = pairs[0]!;
    this.#default = first.names.length > 0 ? contextFor(first.names[0]!) : contextFor("");
    for (const pair of pairs) {
      for (const name of pair.names) {
        if (name.startsWith("*.")) {
          const suffix = name.slice(1);
          if (!this.#wildcard.has(suffix)) this.#wildcard.set(suffix, contextFor(`x${suffix}`));
        } else if (!this.#exact.has(name)) {
          this.#exact.set(name, contextFor(name));
        }
      }
    }
  }

  /**
   * For each key type, the first certificate naming `name` exactly, else the first wildcard that
   * covers it; a name no certificate covers gets the first certificate's choice.
   */
  #choose(name: string): CertificatePair[] {
    const best = new Map<string, { pair: CertificatePair; exact: boolean }>();
    for (const pair of this.pairs) {
      let exact = false;
      let wildcard = false;
      for (const n of pair.names) {
        if (n === name) exact = true;
        else if (nameMatches(n, name)) wildcard = true;
      }
      if (!exact && !wildcard) continue;
      const held = best.get(pair.keyType);
      if (held === undefined || (exact && !held.exact)) best.set(pair.keyType, { pair, exact });
    }
    if (best.size === 0) return [this.pairs[0]!];
    return [...best.values()].map((b) => b.pair);
  }

  /** The context for a handshake's SNI name (any case); "" or null for none. */
  select(servername: string | null | undefined): tls.SecureContext {
    if (servername === null || servername === undefined || servername === "") return this.#default;
    const name = servername.toLowerCase();
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf(".");
    if (dot > 0) {
      const wildcard = this.#wildcard.get(name.slice(dot));
      if (wildcard !== undefined) return wildcard;
    }
    return this.#default;
  }

  get defaultContext(): tls.SecureContext {
    return this.#default;
  }

  /** Every context built (each distinct choice once). */
  get contexts(): readonly tls.SecureContext[] {
    return this.#contexts;
  }

  /** Every DNS name some certificate covers, in the operator's order, once each. */
  get names(): string[] {
    return [...new Set(this.pairs.flatMap((p) => p.names))];
  }
}
