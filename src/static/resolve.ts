// URL path → a relative file path under the root, or the reason there is none. Pure (no I/O).
// Percent-decodes exactly once, per segment, so an encoded "/" can never create a segment boundary;
// removes dot segments (RFC 3986 §5.2.4, encoded ones included) without ever climbing above the root;
// hides dotfiles unless allowed. The real-path jail for symlinks is checked later, against the disk.

import { Buffer } from "node:buffer";

export type Resolved =
  | {
      readonly ok: true;
      readonly relative: string;
      readonly segments: readonly string[];
      readonly trailingSlash: boolean;
    }
  | { readonly ok: false; readonly status: 400 | 404; readonly reason: string };

export interface ResolveOptions {
  /** Serve names starting with "." (otherwise 404; /.well-known/ is always served). */
  readonly dotfiles: boolean;
}

const HEX = "0123456789abcdefABCDEF";
/** Marker for a segment whose escapes are well formed but do not spell UTF-8. */
const INVALID_UTF8 = "\0utf8";

/** Decodes %XX escapes in one segment; null when an escape is malformed, INVALID_UTF8 for bytes no name can hold. */
function decodeSegment(segment: string): string | null {
  if (!segment.includes("%")) return segment;
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x25) {
      const h = segment[i + 1];
      const l = segment[i + 2];
      if (h === undefined || l === undefined || !HEX.includes(h) || !HEX.includes(l)) return null;
      bytes.push(Number.parseInt(h + l, 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  const decoded = Buffer.from(bytes).toString("utf8");
  // Invalid UTF-8 decodes to U+FFFD: well-formed escapes, but no name we can open, so 404 rather than 400.
  return decoded.includes("\uFFFD") && !segment.toUpperCase().includes("%EF%BF%BD") ? INVALID_UTF8 : decoded;
}

export function resolvePath(rawPath: string, options: ResolveOptions): Resolved {
  if (rawPath.length === 0 || rawPath.charCodeAt(0) !== 0x2f)
    return { ok: false, status: 400, reason: "Path must start with /" };
  const raw = rawPath.split("/");
  const out: string[] = [];
  const last = raw.length - 1;
  let trailingSlash = false;
  for (let i = 1; i <= last; i++) {
    const decoded = decodeSegment(raw[i]!);
    if (decoded === null) return { ok: false, status: 400, reason: "Malformed percent-encoding" };
    if (decoded === INVALID_UTF8) return { ok: false, status: 404, reason: "Path is not UTF-8" };
    if (decoded.includes("\0")) return { ok: false, status: 400, reason: "NUL in path" };
    // An encoded slash stays inside its segment; no file name on disk can contain one.
    if (decoded.includes("/")) return { ok: false, status: 404, reason: "Encoded slash in path" };
    if (decoded === "" || decoded === ".") {
      if (i === last) trailingSlash = true;
      continue;
    }
    if (decoded === "..") {
      out.pop();
      if (i === last) trailingSlash = true;
      continue;
    }
    out.push(decoded);
  }
  if (!options.dotfiles) {
    for (let i = 0; i < out.length; i++) {
      const s = out[i]!;
      if (s.charCodeAt(0) === 0x2e && !(i === 0 && s === ".well-known"))
        return { ok: false, status: 404, reason: "Dotfile" };
    }
  }
  return { ok: true, relative: out.join("/"), segments: out, trailingSlash: trailingSlash || out.length === 0 };
}
