// JSON Web Signatures as ACME uses them (RFC 8555 §6.2, RFC 7515 flattened serialization): ES256
// with the account's P-256 key, the JWK (RFC 7517) and its thumbprint (RFC 7638) for key
// authorizations (RFC 8555 §8.1). Pure apart from the signature itself.

import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";

export interface Jwk {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly y: string;
}

export interface FlattenedJws {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

export class AccountKey {
  readonly #key: KeyObject;
  readonly jwk: Jwk;
  /** RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order. */
  readonly thumbprint: string;

  constructor(pem: string) {
    this.#key = createPrivateKey(pem);
    const jwk = createPublicKey(this.#key).export({ format: "jwk" }) as Partial<Jwk>;
    if (jwk.kty !== "EC" || jwk.crv !== "P-256") throw new TypeError("an ACME account key must be ECDSA P-256");
    this.jwk = { crv: jwk.crv, kty: jwk.kty, x: jwk.x!, y: jwk.y! };
    const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    this.thumbprint = createHash("sha256").update(canonical).digest("base64url");
  }

  /**
   * A flattened JWS over `payload` (an object, or null for POST-as-GET's empty payload, RFC 8555
   * §6.3). With `kid` the account URL names the key; without, the JWK itself does (newAccount).
   */
  sign(url: string, nonce: string, payload: unknown, kid: string | null): FlattenedJws {
    const header = kid === null ? { alg: "ES256", jwk: this.jwk, nonce, url } : { alg: "ES256", kid, nonce, url };
    const protectedPart = Buffer.from(JSON.stringify(header)).toString("base64url");
    const payloadPart = payload === null ? "" : Buffer.from(JSON.stringify(payload)).toString("base64url");
    // JWS ES256 signatures are r||s, 64 bytes (RFC 7518 §3.4), not DER.
    const signature = sign("sha256", Buffer.from(`${protectedPart}.${payloadPart}`), {
      key: this.#key,
      dsaEncoding: "ieee-p1363",
    });
    return { protected: protectedPart, payload: payloadPart, signature: signature.toString("base64url") };
  }

  /** The key authorization of a challenge token (RFC 8555 §8.1). */
  keyAuthorization(token: string): string {
    return `${token}.${this.thumbprint}`;
  }
}
