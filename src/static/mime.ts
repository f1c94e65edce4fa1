// File extension → Content-Type, from the maintained mime-db package (IANA, Apache and nginx
// sources). Text types and JavaScript/JSON get `charset=utf-8`; unknown → application/octet-stream.
// Built into a map once, so the lookup per file is one map read: at start-up from the sources, at
// build time for the package (scripts/build.ts).

import fs from "node:fs";
import { createRequire } from "node:module";

interface MimeEntry {
  readonly source?: string;
  readonly charset?: string;
  readonly compressible?: boolean;
  readonly extensions?: readonly string[];
}

/**
 * mime-db's table, read as JSON rather than required: require() would keep the whole object (600 KiB
 * of heap in every thread) in its module cache; read this way it is garbage once the map below is built.
 */
function readDb(): Record<string, MimeEntry> {
  const file = createRequire(import.meta.url).resolve("mime-db/db.json");
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, MimeEntry>;
}

export interface MimeType {
  /** The full Content-Type value, with charset where one applies. */
  readonly contentType: string;
  /** Worth compressing on the fly (text, JSON, SVG, …). */
  readonly compressible: boolean;
}

export const OCTET_STREAM: MimeType = { contentType: "application/octet-stream", compressible: false };

const SOURCE_RANK: Record<string, number> = { nginx: 1, apache: 2, iana: 3 };

/**
 * The table as JSON (`mimeTableJson()`), put in by the package build (scripts/build.ts, esbuild's
 * `define`); undefined when the sources run. Even kept light, the loop over mime-db's 2,500 types
 * below was at times compiled by V8's optimising compiler (on-stack replacement) at start-up, which
 * costs the process ~5 MiB of the compiler's resident code pages; parsing JSON into a map runs no
 * JavaScript loop.
 */
declare const PORTICO_MIME_TABLE: string | undefined;

const byExtension = typeof PORTICO_MIME_TABLE === "string" ? tableFromJson(PORTICO_MIME_TABLE) : buildTable(readDb());

/** The table from its JSON form (`mimeTableJson()`). */
export function tableFromJson(json: string): Map<string, MimeType> {
  return new Map(Object.entries(JSON.parse(json) as Record<string, MimeType>));
}

/** This table as JSON (extension → MimeType), for the build to put in. */
export function mimeTableJson(): string {
  return JSON.stringify(Object.fromEntries(buildTable(readDb())));
}

function buildTable(db: Record<string, MimeEntry>): Map<string, MimeType> {
  const table = new Map<string, MimeType>();
  const rankOf = new Map<string, number>();
  // Kept light (no entry arrays, nothing done for the 60% of types without extensions): a heavier
  // loop over mime-db's 2,500 types was compiled by V8's optimizing compiler at every start, which
  // cost each thread ~0.4 s of compiler time and the process ~5 MiB of resident compiler code.
  for (const type in db) {
    const entry = db[type]!;
    const extensions = entry.extensions;
    if (extensions === undefined) continue;
    const rank = SOURCE_RANK[entry.source ?? ""] ?? 0;
    let mime: MimeType | null = null;
    for (const ext of extensions) {
      const previous = rankOf.get(ext);
      // Prefer the more authoritative source; among equals prefer a specific top-level type over
      // application/* (video/mp4 over application/mp4), as browsers expect.
      if (
        previous === undefined ||
        rank > previous ||
        (previous === rank &&
          !type.startsWith("application/") &&
          table.get(ext)!.contentType.startsWith("application/"))
      ) {
        mime ??= mimeOf(type, entry);
        table.set(ext, mime);
        rankOf.set(ext, rank);
      }
    }
  }
  return table;
}

function mimeOf(type: string, entry: MimeEntry): MimeType {
  const textual = type.startsWith("text/") || entry.charset?.toUpperCase() === "UTF-8" || type === "application/json";
  return {
    contentType: textual ? `${type}; charset=utf-8` : type,
    // Opaque bytes (.bin, .exe, .iso…) are not worth a compression attempt, whatever mime-db says.
    compressible: type !== "application/octet-stream" && (entry.compressible === true || type.startsWith("text/")),
  };
}

/** The type for a file name (by its last extension, case-insensitive). */
export function mimeTypeOf(fileName: string): MimeType {
  const dot = fileName.lastIndexOf(".");
  if (dot === -1 || dot === fileName.length - 1) return OCTET_STREAM;
  const slash = fileName.lastIndexOf("/");
  if (dot < slash) return OCTET_STREAM;
  return byExtension.get(fileName.slice(dot + 1).toLowerCase()) ?? OCTET_STREAM;
}
