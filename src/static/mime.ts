// File extension → Content-Type, from the maintained mime-db package (IANA, Apache and nginx
// sources), precomputed into mime-table.ts by `npm run generate` (scripts/mime-table.ts ranks them).
// Text types and JavaScript/JSON get `charset=utf-8`; unknown → application/octet-stream.
// The table is parsed natively at load, so start-up runs no loop over it; each extension's MimeType
// is made on its first lookup and then shared.

import { MIME_TABLE_JSON } from "./mime-table.ts";

export interface MimeType {
  /** The full Content-Type value, with charset where one applies. */
  readonly contentType: string;
  /** Worth compressing on the fly (text, JSON, SVG, …). */
  readonly compressible: boolean;
}

export const OCTET_STREAM: MimeType = { contentType: "application/octet-stream", compressible: false };

const table = JSON.parse(MIME_TABLE_JSON) as Record<string, string>;
/** Extensions looked up so far (known ones only: at most the table's size). */
const byExtension = new Map<string, MimeType>();

/** The type for a file name (by its last extension, case-insensitive). */
export function mimeTypeOf(fileName: string): MimeType {
  const dot = fileName.lastIndexOf(".");
  if (dot === -1 || dot === fileName.length - 1) return OCTET_STREAM;
  const slash = fileName.lastIndexOf("/");
  if (dot < slash) return OCTET_STREAM;
  const ext = fileName.slice(dot + 1).toLowerCase();
  const known = byExtension.get(ext);
  if (known !== undefined) return known;
  if (!Object.hasOwn(table, ext)) return OCTET_STREAM;
  const entry = table[ext]!;
  const compressible = entry.startsWith("+");
  const mime: MimeType = { contentType: compressible ? entry.slice(1) : entry, compressible };
  byExtension.set(ext, mime);
  return mime;
}
