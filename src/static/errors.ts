// The static handlers' error answers, in one place: which status a file system error means (faults published
// through events.ts), and the one-line text/plain body every error and every write's short answer carries.
// Not here: custom error pages (the 404.html lookup is the handler's).

import { Buffer } from "node:buffer";
import { PreparedResponse, type Response } from "../http/response.ts";
import { REASON } from "../http/status.ts";
import { reportStaticError } from "./events.ts";

/** The fields of every `Reason\n` body; nosniff so no browser renders the text as anything else. */
const PLAIN_FIELDS: readonly string[] = [
  "Content-Type",
  "text/plain; charset=utf-8",
  "X-Content-Type-Options",
  "nosniff",
];

/** A status for a file system error: the request's fault, the server's, or overload. */
export type FsErrorStatus = 403 | 404 | 500 | 503;

/**
 * Status for a file system error, the same for reads and writes: missing → 404, no permission → 403,
 * out of file descriptors → 503 (overload: the client may retry, RFC 9110 §15.6.4), anything else →
 * 500 (a server fault). The caller logs 500 and 503.
 */
export function statusForFsError(error: unknown): FsErrorStatus {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // ELOOP and ENAMETOOLONG come from the request's path, not from a server fault.
  if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG") return 404;
  // EISDIR and EROFS only arise from writes: writing where the target cannot be written is refused.
  if (code === "EACCES" || code === "EPERM" || code === "EISDIR" || code === "EROFS") return 403;
  // This process (EMFILE) or the whole system (ENFILE) has no descriptor left: busy, not broken.
  if (code === "EMFILE" || code === "ENFILE") return 503;
  return 500;
}

/** The status for a file system error met while serving `path`; a fault or overload (500, 503) is published. */
export function reportFsError(path: string, error: unknown): FsErrorStatus {
  const status = statusForFsError(error);
  if (status >= 500) reportStaticError(path, error);
  return status;
}

/** The body of a status without a custom page: its reason phrase and a newline (`Not Found\n`). */
export function statusText(status: number): string {
  return `${REASON[status] ?? "Error"}\n`;
}

/**
 * Sends `Reason\n` as text/plain for a status, with any extra fields (Allow, Location, Content-Range…).
 * A 503 says when to come back (RFC 9110 §10.2.3): a shortage of descriptors passes within moments.
 */
export function sendStatus(res: Response, status: number, fields: readonly string[] = []): void {
  if (status === 503) fields = [...fields, "Retry-After", "1"];
  res.send(status, fields.length === 0 ? PLAIN_FIELDS : [...PLAIN_FIELDS, ...fields], statusText(status));
}

/** The plain 404, prepared once: the answer to every miss when the root has no 404.html. */
export const NOT_FOUND_PLAIN = new PreparedResponse(404, PLAIN_FIELDS, Buffer.from(statusText(404)));
