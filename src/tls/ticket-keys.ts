// Session ticket keys shared by every worker thread, so a ticket issued on one thread resumes on any
// other (RFC 5077 §4 / RFC 8446 §4.6.1: the server alone reads its tickets). The keys live in one
// SharedArrayBuffer (runtime/shared-memory.ts reserves it): a ring of KEY_SLOTS keys under a
// sequence lock. The supervisor writes a fresh random key every ROTATE_MS; threads encrypt new
// tickets under the newest and still decrypt the older ones, renewing such a ticket, so a rotation
// costs nobody a full handshake. Keys never touch the disk: a restart begins a new ring.
// Not here: the contexts (certificate-store.ts), when to rotate (runtime/supervisor.ts).

import { Buffer } from "node:buffer";
import { randomFillSync } from "node:crypto";
import type tls from "node:tls";
import { SESSION_LIFETIME_S } from "./settings.ts";
import { HEADER_BYTES, KEY_BYTES, KEY_SLOTS } from "./ticket-ring.ts";

/** A new key every 12 hours: a ticket stays readable for (KEY_SLOTS - 1) rotations, >= its lifetime. */
export const ROTATE_MS = (SESSION_LIFETIME_S * 1000) / (KEY_SLOTS - 1);
const SEQ = 0;
const GENERATION = 1;

/** Supervisor side: writes a new random key into the ring (the oldest is dropped). */
export function rotateTicketKey(ring: SharedArrayBuffer): void {
  const header = new Int32Array(ring, 0, 2);
  const keys = new Uint8Array(ring, HEADER_BYTES, KEY_SLOTS * KEY_BYTES);
  const next = Atomics.load(header, GENERATION) + 1;
  const fresh = randomFillSync(Buffer.alloc(KEY_BYTES));
  Atomics.add(header, SEQ, 1);
  keys.set(fresh, (next % KEY_SLOTS) * KEY_BYTES);
  Atomics.store(header, GENERATION, next);
  Atomics.add(header, SEQ, 1);
}

/** Node's ticket callback contract (SecureContext::TicketKeyCallback): [result, hmac, aes, name, iv]. */
type TicketAnswer = [number, Buffer, Buffer] | [number, Buffer, Buffer, Buffer, Buffer];

interface NativeContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => TicketAnswer;
  setTicketKeys(keys: Buffer): void;
}

/** Random bytes for ticket IVs, drawn 4 KiB at a time rather than 16 bytes per ticket. */
let ivPool = Buffer.alloc(0);
let ivAt = 0;
function nextIv(): Buffer {
  if (ivAt + 16 > ivPool.length) {
    ivPool = randomFillSync(Buffer.allocUnsafe(4096));
    ivAt = 0;
  }
  ivAt += 16;
  return ivPool.subarray(ivAt - 16, ivAt);
}

const NOT_FOUND = 0;
const FOUND = 1;
const FOUND_RENEW = 2;

/** A worker's view of the ring: reads it again only when the generation moved. */
export class TicketKeys {
  readonly #header: Int32Array;
  readonly #bytes: Uint8Array;
  #generation = -1;
  /** Newest first. */
  #names: Buffer[] = [];
  #hmacs: Buffer[] = [];
  #aes: Buffer[] = [];
  readonly #unused = Buffer.alloc(16);

  constructor(ring: SharedArrayBuffer) {
    this.#header = new Int32Array(ring, 0, 2);
    this.#bytes = new Uint8Array(ring, HEADER_BYTES, KEY_SLOTS * KEY_BYTES);
  }

  /**
   * Makes `context` encrypt and decrypt tickets with the shared ring. Through Node's ticket key
   * callback when it has one (feature-detected: several keys, old tickets renewed); else the newest
   * key alone through the public setTicketKeys (a rotation then costs one full handshake per client).
   */
  attach(context: tls.SecureContext): void {
    const native = context.context as NativeContext;
    this.#refresh();
    if (typeof native.enableTicketKeyCallback === "function") {
      native.enableTicketKeyCallback();
      native.onticketkeycallback = (name, _iv, encrypt) => this.#answer(name, encrypt);
    } else {
      const keys = Buffer.concat([this.#names[0]!, this.#hmacs[0]!, this.#aes[0]!]);
      native.setTicketKeys(keys);
    }
  }

  #answer(name: Buffer, encrypt: boolean): TicketAnswer {
    if (Atomics.load(this.#header, GENERATION) !== this.#generation) this.#refresh();
    if (encrypt) {
      return [FOUND, this.#hmacs[0]!, this.#aes[0]!, this.#names[0]!, nextIv()];
    }
    for (let i = 0; i < this.#names.length; i++) {
      if (this.#names[i]!.equals(name)) return [i === 0 ? FOUND : FOUND_RENEW, this.#hmacs[i]!, this.#aes[i]!];
    }
    return [NOT_FOUND, this.#unused, this.#unused];
  }

  /** Copies the ring out under its sequence lock (a writer is inside while the sequence is odd). */
  #refresh(): void {
    for (;;) {
      const before = Atomics.load(this.#header, SEQ);
      if ((before & 1) !== 0) continue;
      const generation = Atomics.load(this.#header, GENERATION);
      const copy = Buffer.from(this.#bytes);
      if (Atomics.load(this.#header, SEQ) !== before) continue;
      this.#generation = generation;
      const names: Buffer[] = [];
      const hmacs: Buffer[] = [];
      const aes: Buffer[] = [];
      const kept = Math.min(Math.max(generation, 1), KEY_SLOTS);
      for (let age = 0; age < kept; age++) {
        const at = (((generation - age) % KEY_SLOTS) + KEY_SLOTS) % KEY_SLOTS;
        const key = copy.subarray(at * KEY_BYTES, (at + 1) * KEY_BYTES);
        names.push(key.subarray(0, 16));
        hmacs.push(key.subarray(16, 32));
        aes.push(key.subarray(32, 48));
      }
      this.#names = names;
      this.#hmacs = hmacs;
      this.#aes = aes;
      return;
    }
  }
}
