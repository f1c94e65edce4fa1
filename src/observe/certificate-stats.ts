// The certificates a TLS listener serves, as the status page shows them: each one's names, where it
// came from (a file, an ACME CA, the local CA), its key type and validity. Read live from the
// worker's certificate store, so a renewal shows at once. Not here: handshake counts (stats.ts).

import type { CertificatePair } from "../tls/certificate.ts";

/** Where the status handler reads the certificates served now. */
export interface CertificateSource {
  /** The pairs served now, in the store's order: files first, then ACME's, then the local CA's. */
  readonly current: () => readonly CertificatePair[];
  /** How many of them come from certificate files. */
  readonly files: number;
  readonly acme: boolean;
  /** The last one is the local CA's (--tls internal). */
  readonly internal: boolean;
}

export interface CertificateSnapshot {
  /** The first name it covers (DNS name, else address): the series' label. */
  readonly name: string;
  readonly names: readonly string[];
  readonly source: "file" | "acme" | "internal";
  readonly keyType: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** notAfter as seconds since the epoch. */
  readonly notAfterSeconds: number;
  /** Seconds left until notAfter (negative once expired). */
  readonly expiresInSeconds: number;
}

export function certificateSnapshot(source: CertificateSource | undefined, now = Date.now()): CertificateSnapshot[] {
  if (source === undefined) return [];
  const pairs = source.current();
  const seen = new Set<string>();
  const out: CertificateSnapshot[] = [];
  pairs.forEach((pair, i) => {
    const kind =
      i < source.files
        ? "file"
        : source.internal && i === pairs.length - 1
          ? "internal"
          : source.acme
            ? "acme"
            : "file";
    const name = pair.names[0] ?? pair.addresses[0] ?? "";
    // One series per label set: a second certificate with the same name, key type and source is
    // never the one served (the store takes the first of each key type).
    const key = `${name}\u0000${pair.keyType}\u0000${kind}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({
      name,
      names: [...pair.names, ...pair.addresses],
      source: kind,
      keyType: pair.keyType,
      notBefore: new Date(pair.notBefore).toISOString(),
      notAfter: new Date(pair.notAfter).toISOString(),
      notAfterSeconds: Math.floor(pair.notAfter / 1000),
      expiresInSeconds: Math.floor((pair.notAfter - now) / 1000),
    });
  });
  return out;
}
