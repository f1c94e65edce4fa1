// What one TLS listener serves: its certificate store (replaced whole when certificates change; open
// connections keep the context they got), the session ticket keys every context shares, the ALPN ids
// the server speaks, and the TLS-ALPN-01 validation certificates of ACME orders under way.
// Not here: sockets and handshakes (http/tls-accept.ts), getting certificates (acme/, local-ca.ts).

import type { Buffer } from "node:buffer";
import type tls from "node:tls";
import type { CertificatePair } from "./certificate.ts";
import { CertificateStore, createContext } from "./certificate-store.ts";
import { ALPN_ACME, ALPN_HTTP1, encodeAlpn } from "./settings.ts";
import { rotateTicketKey, TICKET_RING_BYTES, TicketKeys } from "./ticket-keys.ts";

/** A TLS-ALPN-01 validation certificate for one name (RFC 8737 §3), as PEM. */
export interface ChallengeCertificate {
  readonly name: string;
  readonly cert: string;
  readonly key: string;
}

export class TlsEndpoint {
  #store: CertificateStore;
  readonly #tickets: TicketKeys;
  #alpn: Buffer = encodeAlpn([ALPN_HTTP1]);
  #protocols: readonly string[] = [ALPN_HTTP1];
  #challenges = new Map<string, tls.SecureContext>();
  static readonly #acmeAlpn = encodeAlpn([ALPN_ACME]);

  /**
   * `ring` is the ticket key ring shared with the other threads (runtime/shared-memory.ts); without
   * one (a lone server, tests) the endpoint makes its own.
   */
  constructor(pairs: readonly CertificatePair[], ring: SharedArrayBuffer | null = null) {
    let shared = ring;
    if (shared === null) {
      shared = new SharedArrayBuffer(TICKET_RING_BYTES);
      rotateTicketKey(shared);
    }
    this.#tickets = new TicketKeys(shared);
    this.#store = new CertificateStore(pairs, (context) => this.#tickets.attach(context));
  }

  get store(): CertificateStore {
    return this.#store;
  }

  /** Serves `pairs` to new connections from now on. */
  update(pairs: readonly CertificatePair[]): void {
    this.#store = new CertificateStore(pairs, (context) => this.#tickets.attach(context));
  }

  /** The ALPN ids the server speaks, preferred first (the server's capabilities decide). */
  setProtocols(protocols: readonly string[]): void {
    this.#protocols = protocols;
    this.#alpn = encodeAlpn(protocols);
  }

  get protocols(): readonly string[] {
    return this.#protocols;
  }

  /** The ALPN ids in wire form, for each connection's TLSWrap. */
  get alpn(): Buffer {
    return this.#alpn;
  }

  get acmeAlpn(): Buffer {
    return TlsEndpoint.#acmeAlpn;
  }

  /** The validation certificates of the TLS-ALPN-01 challenges under way (replacing the last list). */
  setChallenges(list: readonly ChallengeCertificate[]): void {
    const next = new Map<string, tls.SecureContext>();
    for (const c of list) {
      next.set(c.name.toLowerCase(), createContext([c]));
    }
    this.#challenges = next;
  }

  get hasChallenges(): boolean {
    return this.#challenges.size > 0;
  }

  challengeContext(name: string): tls.SecureContext | undefined {
    return this.#challenges.get(name);
  }
}
