// When to renew a certificate and how long to wait after a failure. Pure: times in, times out.
// Renewal starts when a third of the lifetime remains (Let's Encrypt's and Caddy's rule), spread by
// jitter so many certificates issued together do not all renew in the same minute; a CA's renewal
// information window (RFC 9773 §4.2) replaces that rule where offered. Failures back off
// exponentially, and never sooner than a rate-limit answer's Retry-After.

/** The moment to renew a certificate valid from notBefore to notAfter; `random` is in [0, 1). */
export function renewalTime(notBefore: number, notAfter: number, random: number): number {
  const lifetime = Math.max(0, notAfter - notBefore);
  const due = notAfter - lifetime / 3;
  // Jitter: up to 1/30 of the lifetime earlier (3 days for 90-day certificates), never later.
  return due - random * (lifetime / 30);
}

/** A time inside the CA's suggested window (RFC 9773 §4.2: uniformly at random). */
export function timeInWindow(start: number, end: number, random: number): number {
  return start + random * Math.max(0, end - start);
}

/** The first retry after a failure, unless PORTICO_ACME_RETRY_MS says otherwise (tests). */
export const FIRST_RETRY_MS = 60_000;
/** Retries never wait longer than this (the certificate may be close to expiry). */
export const MAX_RETRY_MS = 6 * 60 * 60 * 1000;

/** The wait after the `failures`-th failure in a row (1, 2, …): doubling, capped, never below `floorMs`. */
export function retryDelay(failures: number, firstMs: number, floorMs = -1): number {
  const doubled = firstMs * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  return Math.max(Math.min(doubled, MAX_RETRY_MS), floorMs);
}

/** "90s", "2m", "3h": a delay as a log line says it. */
export function formatDelay(ms: number): string {
  if (ms < 120_000) return `${Math.max(1, Math.round(ms / 1000))}s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}
