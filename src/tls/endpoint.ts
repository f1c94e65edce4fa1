// What one TLS listener serves: its certificate store (replaced whole when certificates change; open
// connections keep the context they got), the session ticket keys every context shares, the ALPN ids
// the server speaks, the TLS-ALPN-01 validation certificates of ACME orders under way, and what a
// connection's first bytes call for (greet), the same whatever socket carries them.
// Not here: sockets and handshakes (http/uv-tls-accept.ts, http/net-tls-accept.ts), getting
// certificates (acme/, local-ca.ts).

import type { Buffer } from "node:buffer";
import type tls from "node:tls";
import type { CertificatePair } from "./certificate.ts";
import {
  classifyFirstByte,
  FIRST_HTTP,
  FIRST_TLS,
  firstRecordLength,
  MAX_HELLO_RECORD,
  parseClientHello,
} from "./client-hello.ts";
import { CertificateStore, createContext } from "./certificate-store.ts";
import { ALPN_ACME, ALPN_HTTP1, encodeAlpn } from "./settings.ts";
import { rotateTicketKey, TicketKeys } from "./ticket-keys.ts";
import { TICKET_RING_BYTES } from "./ticket-ring.ts";

/** More bytes are needed before anything can be decided: keep these and read on. */
export const GREET_WAIT = 0;
/** A plain HTTP request on the TLS port: answer 400 (as nginx does), then close. */
export const GREET_PLAIN_HTTP = 1;
/** Neither TLS nor HTTP, or a first record too large: close. */
export const GREET_CLOSE = 2;
/** A handshake: start TLS with `context`. */
export const GREET_TLS = 3;
/** A handshake whose ClientHello spans several records: start with `context`, choose by SNI in the certificate callback. */
export const GREET_TLS_SNI_CALLBACK = 4;
/** A TLS-ALPN-01 validation (RFC 8737): `context` holds its certificate; offer ALPN acme-tls/1 only. */
export const GREET_VALIDATION = 5;

/** What a connection's first bytes call for (one object per endpoint, filled by each greet()). */
export interface Greeting {
  verdict: number;
  context: tls.SecureContext;
}

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
  readonly #greeting: Greeting;

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
    this.#greeting = { verdict: GREET_WAIT, context: this.#store.defaultContext };
  }

  /**
   * Decides what a connection's first bytes (all of them so far) call for. With one context and no
   * validation under way, the first byte is enough. Otherwise the ClientHello is read whole (it may
   * come in more than one read) for its SNI name and ALPN list, so the context is chosen before
   * OpenSSL starts: Node's certificate callback could choose too, but it installs only one
   * certificate of the chosen context (UseSNIContext), which would lose an ECDSA/RSA pair; and a
   * TLS-ALPN-01 validation is told apart by its ALPN.
   */
  greet(bytes: Uint8Array): Greeting {
    const greeting = this.#greeting;
    const store = this.#store;
    greeting.context = store.defaultContext;
    const kind = classifyFirstByte(bytes[0]!);
    if (kind !== FIRST_TLS) {
      greeting.verdict = kind === FIRST_HTTP ? GREET_PLAIN_HTTP : GREET_CLOSE;
      return greeting;
    }
    if (this.#challenges.size === 0 && store.contexts.length === 1) {
      greeting.verdict = GREET_TLS;
      return greeting;
    }
    const needed = firstRecordLength(bytes);
    if (needed < 0 || bytes.length < needed) {
      greeting.verdict = bytes.length >= MAX_HELLO_RECORD ? GREET_CLOSE : GREET_WAIT;
      return greeting;
    }
    const hello = parseClientHello(bytes);
    if (hello === null) {
      greeting.verdict = GREET_TLS_SNI_CALLBACK;
      return greeting;
    }
    if (this.#challenges.size > 0 && hello.protocols.includes(ALPN_ACME)) {
      const context = this.#challenges.get(hello.servername);
      if (context !== undefined) {
        greeting.verdict = GREET_VALIDATION;
        greeting.context = context;
        return greeting;
      }
    }
    greeting.verdict = GREET_TLS;
    greeting.context = store.select(hello.servername);
    return greeting;
  }

  get store(): CertificateStore {
    return this.#store;
  }

  /** Serves `pairs` to new connections from now on. */
  update(pairs: readonly CertificatePair[]): void {
    this.#store = new CertificateStore(pairs, (context) => this.#tickets.attach(context));
    this.#greeting.context = this.#store.defaultContext;
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
}
