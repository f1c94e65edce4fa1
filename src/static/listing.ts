// Directory listings: reads a directory (dotfiles and escaping symlinks never listed) and renders it as
// HTML — directories first, then files, each name HTML-escaped and URL-encoded — or as JSON in the
// shape of nginx's autoindex_format json. Reading does I/O; rendering is pure.

import fsp from "node:fs/promises";
import path from "node:path";
import type { DiskMap } from "./lookup.ts";

export interface ListingItem {
  readonly name: string;
  readonly directory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Reads the visible entries of a directory, sorted: directories first, then by name (code points). */
export async function readListing(dir: string, disk: DiskMap): Promise<ListingItem[]> {
  const names = await fsp.readdir(dir);
  const items = await Promise.all(
    names.map(async (name): Promise<ListingItem | null> => {
      // Dotfiles are never listed, whatever --dotfiles says: a listing must not advertise them.
      if (name.startsWith(".")) return null;
      const full = path.join(dir, name);
      try {
        const real = await fsp.realpath(full);
        if (!disk.isInside(real)) return null;
        const stat = await fsp.stat(real);
        if (!stat.isDirectory() && !stat.isFile()) return null;
        return { name, directory: stat.isDirectory(), size: stat.isDirectory() ? 0 : stat.size, mtimeMs: stat.mtimeMs };
      } catch {
        return null; // vanished or unreadable: not worth listing
      }
    }),
  );
  return sortListing(items.filter((item): item is ListingItem => item !== null));
}

export function sortListing(items: ListingItem[]): ListingItem[] {
  return items.sort((a, b) =>
    a.directory !== b.directory ? (a.directory ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * The HTML page for a listing. `displayPath` is the decoded path of the directory with its trailing
 * slash; `isRoot` hides the parent link.
 */
export function renderListingHtml(displayPath: string, items: readonly ListingItem[], isRoot: boolean): string {
  const title = `Index of ${escapeHtml(displayPath)}`;
  const rows: string[] = [];
  if (!isRoot) rows.push('<tr><td><a href="../">../</a></td><td>-</td><td></td></tr>');
  for (const item of items) {
    const suffix = item.directory ? "/" : "";
    // encodeURIComponent also encodes ":" so no name can be read as a URL scheme.
    const href = escapeHtml(encodeURIComponent(item.name) + suffix);
    const size = item.directory ? "-" : String(item.size);
    rows.push(
      `<tr><td><a href="${href}">${escapeHtml(item.name)}${suffix}</a></td><td>${size}</td><td>${formatListingDate(item.mtimeMs)}</td></tr>`,
    );
  }
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:0 1.5em 0 0}td:nth-child(2){text-align:right}</style>
</head><body><h1>${title}</h1>
<table><thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></body></html>
`;
}

/** The JSON listing: an array of { name, type, mtime, size? } like nginx's autoindex_format json. */
export function renderListingJson(items: readonly ListingItem[]): string {
  return `${JSON.stringify(
    items.map((item) =>
      item.directory
        ? { name: item.name, type: "directory", mtime: new Date(item.mtimeMs).toUTCString() }
        : { name: item.name, type: "file", mtime: new Date(item.mtimeMs).toUTCString(), size: item.size },
    ),
  )}\n`;
}

/** `YYYY-MM-DD HH:MM` in UTC. */
function formatListingDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}
