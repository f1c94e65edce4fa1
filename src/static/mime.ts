// File extension → Content-Type, from the maintained mime-db package (IANA, Apache and nginx
// sources). Text types and JavaScript/JSON get `charset=utf-8`; unknown → application/octet-stream.
// Built once at start-up into a plain map so the lookup per file is one property read.

import { createRequire } from "node:module";

interface MimeEntry {
  readonly source?: string;
  readonly charset?: string;
  readonly compressible?: boolean;
  readonly extensions?: readonly string[];
}

const db = createRequire(import.meta.url)("mime-db") as Record<string, MimeEntry>;

export interface MimeType {
  /** The full Content-Type value, with charset where one applies. */
  readonly contentType: string;
  /** Worth compressing on the fly (text, JSON, SVG, …). */
  readonly compressible: boolean;
}

export const OCTET_STREAM: MimeType = { contentType: "application/octet-stream", compressible: false };

const SOURCE_RANK: Record<string, number> = { nginx: 1, apache: 2, iana: 3 };
const byExtension = new Map<string, MimeType>();
const rankOf = new Map<string, number>();

for (const [type, entry] of Object.entries(db)) {
  if (entry.extensions === undefined) continue;
  const rank = SOURCE_RANK[entry.source ?? ""] ?? 0;
  const textual = type.startsWith("text/") || entry.charset?.toUpperCase() === "UTF-8" || type === "application/json";
  const mime: MimeType = {
    contentType: textual ? `${type}; charset=utf-8` : type,
    // Opaque bytes (.bin, .exe, .iso…) are not worth a compression attempt, whatever mime-db says.
    compressible: type !== "application/octet-stream" && (entry.compressible === true || type.startsWith("text/")),
  };
  for (const ext of entry.extensions) {
    const previous = rankOf.get(ext);
    // Prefer the more authoritative source; among equals prefer a specific top-level type over
    // application/* (video/mp4 over application/mp4), as browsers expect.
    const tieBreak =
      previous === rank &&
      !type.startsWith("application/") &&
      byExtension.get(ext)!.contentType.startsWith("application/");
    if (previous === undefined || rank > previous || tieBreak) {
      byExtension.set(ext, mime);
      rankOf.set(ext, rank);
    }
  }
}

/** The type for a file name (by its last extension, case-insensitive). */
export function mimeTypeOf(fileName: string): MimeType {
  const dot = fileName.lastIndexOf(".");
  if (dot === -1 || dot === fileName.length - 1) return OCTET_STREAM;
  const slash = fileName.lastIndexOf("/");
  if (dot < slash) return OCTET_STREAM;
  return byExtension.get(fileName.slice(dot + 1).toLowerCase()) ?? OCTET_STREAM;
}
