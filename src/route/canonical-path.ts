// The path routes are matched against: percent-decoded once per segment (an encoded "/" stays
// "%2F", so it never makes a segment boundary), empty and "." segments dropped, ".." climbing no
// higher than the root — what the files handler will resolve, so "/%61dmin/" or "//admin/" meet
// the /admin/ route's middleware instead of slipping past it to "/". Pure. Most paths need none of
// this: the caller checks isCanonical first (two string searches).

import { Buffer } from "node:buffer";

/** True when the path holds nothing to decode or normalise ("%", "//", a dot segment). */
export function isCanonical(path: string, mayHaveDotSegment: boolean): boolean {
  if (mayHaveDotSegment) return false;
  // One pass over a short string: cheaper than two searches.
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x25 || (c === 0x2f && path.charCodeAt(i + 1) === 0x2f)) return false;
  }
  return true;
}

/** The canonical form, or null when an escape is malformed (the handler answers 400 then). */
export function canonicalPath(path: string): string | null {
  const raw = path.split("/");
  const out: string[] = [];
  let trailing = false;
  for (let i = 1; i < raw.length; i++) {
    const segment = decode(raw[i]!);
    if (segment === null) return null;
    const last = i === raw.length - 1;
    if (segment === "" || segment === ".") {
      if (last) trailing = true;
      continue;
    }
    if (segment === "..") {
      out.pop();
      if (last) trailing = true;
      continue;
    }
    out.push(segment);
  }
  return `/${out.join("/")}${trailing && out.length > 0 ? "/" : ""}`;
}

function decode(segment: string): string | null {
  if (!segment.includes("%")) return segment;
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
    const byte = Number.parseInt(hex, 16);
    // "%2F" stays as it is: decoded it would split the segment.
    if (byte === 0x2f) bytes.push(0x25, 0x32, 0x46);
    else bytes.push(byte);
    i += 2;
  }
  return Buffer.from(bytes).toString("utf8");
}
