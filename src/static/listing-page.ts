// The HTML page of a directory listing, in the manner of Caddy's browse page: breadcrumbs, sortable
// columns (plain links, `?sort=size&order=desc`: no script needed), human-readable sizes with the exact
// bytes in a tooltip, compact UTC dates that never wrap, a filter box that script adds, a layout for
// phones and dark mode by media query. No external asset: the CSS and the script are inline, and the
// Content-Security-Policy allows exactly them by hash. Every name is HTML-escaped and URL-encoded.
// Pure: rows are rendered once per listing and reused by every sort order (listing-cache.ts).
// Not here: reading and sorting by name (listing.ts), caching (listing-cache.ts).

import { escapeHtml, formatListingDate, type ListingItem } from "./listing.ts";

/** The orders a listing page can be sorted in: `view = column * 2 + (descending ? 1 : 0)`. */
const COLUMNS = ["name", "size", "modified"] as const;
export const LISTING_VIEWS = COLUMNS.length * 2;

/**
 * The view a query asks for (`?sort=name|size|modified&order=asc|desc`); anything else is the default
 * (name, ascending). Only these six exist: a client cannot make the cache hold more pages per listing.
 */
export function listingView(query: string): number {
  if (query.length < 2) return 0;
  let column = 0;
  let desc = 0;
  for (const pair of query.slice(1).split("&")) {
    const eq = pair.indexOf("=");
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? "" : pair.slice(eq + 1);
    if (key === "sort") column = Math.max(0, COLUMNS.indexOf(value as (typeof COLUMNS)[number]));
    else if (key === "order") desc = value === "desc" ? 1 : 0;
  }
  return column * 2 + desc;
}

/**
 * The order of `items` (sorted by name, directories first) for a view, as indexes; directories stay
 * first in every order. Sizes and times tie-break by name.
 */
export function listingOrder(items: readonly ListingItem[], view: number): Uint32Array {
  const n = items.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const column = view >> 1;
  if (column === 1) order.sort((a, b) => items[a]!.size - items[b]!.size || a - b);
  else if (column === 2) order.sort((a, b) => items[a]!.mtimeMs - items[b]!.mtimeMs || a - b);
  // Directories first, whatever the column (a stable partition of the sorted order).
  let dirs = 0;
  for (let i = 0; i < n; i++) if (items[i]!.directory) dirs++;
  if (column !== 0 && dirs > 0 && dirs < n) {
    const parted = new Uint32Array(n);
    let d = 0;
    let f = dirs;
    for (const i of order) parted[items[i]!.directory ? d++ : f++] = i;
    order.set(parted);
  }
  if ((view & 1) === 1) {
    order.subarray(0, dirs).reverse();
    order.subarray(dirs).reverse();
  }
  return order;
}

/** `1.5 KiB`, `12 MiB`, `999 B`: binary units, one decimal below 10. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB rounds to "1024 KiB": say 1.0 MiB instead.
  if (Math.round(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? (Math.round(value * 10) / 10).toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** One table row per item, in the items' order: rendered once, laid out in any view's order. */
export function listingRows(items: readonly ListingItem[]): string[] {
  const rows = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const suffix = item.directory ? "/" : "";
    // encodeURIComponent also encodes ":" so no name can be read as a URL scheme.
    const href = escapeHtml(encodeURIComponent(item.name) + suffix);
    const size = item.directory
      ? '<td class="s">&#8212;</td>'
      : `<td class="s" title="${item.size} bytes">${formatSize(item.size)}</td>`;
    const date = formatListingDate(item.mtimeMs);
    rows[i] =
      `<tr${item.directory ? ' class="d"' : ""}><td class="n"><a href="${href}">${escapeHtml(item.name)}${suffix}</a></td>${size}` +
      `<td class="m"><time datetime="${date.slice(0, 10)}T${date.slice(11)}Z">${date.slice(0, 10)}<span class="t"> ${date.slice(11)}</span></time></td></tr>`;
  }
  return rows;
}

const STYLE = `:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--link:#0969da;--hover:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--link:#4493f8;--hover:#151b23}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main{max-width:64rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.25rem}
h1{font-size:1.25rem;font-weight:600;margin:0 0 .25rem;overflow-wrap:anywhere}
a{color:var(--link);text-decoration:none}
a:hover{text-decoration:underline}
.summary{color:var(--muted);font-size:.875rem;margin:0 0 .75rem}
#filter{width:100%;max-width:22rem;margin:0 0 .75rem;padding:.35rem .6rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px}
table{width:100%;border-collapse:collapse;margin:0 0 2rem}
th,td{padding:.35rem .5rem;border-bottom:1px solid var(--line);text-align:left}
th{font-size:.875rem;font-weight:600;white-space:nowrap}
th a{color:inherit}
tbody tr:hover{background:var(--hover)}
td.n{overflow-wrap:anywhere}
tr.d td.n a{font-weight:600}
.s,.m{width:1%;white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
@media (max-width:600px){body{font-size:14px}th,td{padding:.35rem .25rem}.t{display:none}}
`;

const SCRIPT = `(()=>{const f=document.getElementById("filter");if(!f)return;
const rows=[...document.querySelectorAll("tbody tr:not(.up)")];f.removeAttribute("hidden");
f.addEventListener("input",()=>{const q=f.value.trim().toLowerCase();
for(const r of rows)r.toggleAttribute("hidden",q!==""&&!r.cells[0].textContent.toLowerCase().includes(q))});
document.addEventListener("keydown",e=>{if(e.key==="/"&&document.activeElement!==f){e.preventDefault();f.focus()}});})();
`;

/**
 * SHA-256 of STYLE and of SCRIPT, base64 (CSP Level 3 §2.3.1 hash-source), written out rather than
 * computed at start-up: computing them would load node:crypto into every thread that serves files.
 * test/static/listing-page.test.ts recomputes both and names the new value when either text changes.
 */
const STYLE_SHA256 = "056tvKmqJXnT7wSCSYG7I5aN0ZKd1Fnh3U8q05git+E=";
const SCRIPT_SHA256 = "AwdbU4MdqDFPx/2GOcsr1LOwNa/YPZIhdixPfD7S2Xo=";

/**
 * What a listing page may load: its own inline style and script (by hash), a data: favicon, nothing
 * else — a name that slipped past escaping still could not run script.
 */
export const LISTING_CSP = `default-src 'none'; style-src 'sha256-${STYLE_SHA256}'; script-src 'sha256-${SCRIPT_SHA256}'; img-src data:; base-uri 'none'; form-action 'none'`;

/** Breadcrumbs of the decoded directory path: each segment links to its directory, relatively. */
function breadcrumbs(displayPath: string): string {
  const segments = displayPath.split("/").filter((s) => s !== "");
  const up = (n: number): string => (n === 0 ? "./" : "../".repeat(n));
  let out = `<a href="${up(segments.length)}">/</a>`;
  segments.forEach((segment, i) => {
    out += `<a href="${up(segments.length - 1 - i)}">${escapeHtml(segment)}</a>/`;
  });
  return out;
}

function headerCell(view: number, column: number, label: string): string {
  const current = view >> 1 === column;
  const desc = (view & 1) === 1;
  const order = current && !desc ? "desc" : "asc";
  const sort = current ? ` aria-sort="${desc ? "descending" : "ascending"}"` : "";
  const arrow = current ? (desc ? " &#8595;" : " &#8593;") : "";
  const cls = column === 0 ? "n" : column === 1 ? "s" : "m";
  return `<th class="${cls}"${sort}><a href="?sort=${COLUMNS[column]}&amp;order=${order}">${label}${arrow}</a></th>`;
}

function summary(items: readonly ListingItem[]): string {
  let dirs = 0;
  let bytes = 0;
  for (const item of items) {
    if (item.directory) dirs++;
    else bytes += item.size;
  }
  const files = items.length - dirs;
  return `${dirs} director${dirs === 1 ? "y" : "ies"}, ${files} file${files === 1 ? "" : "s"}, <span title="${bytes} bytes">${formatSize(bytes)}</span>`;
}

/**
 * The page for a listing. `displayPath` is the decoded path of the directory with its trailing slash;
 * `isRoot` hides the parent link; `rows` and `order` (from listingRows and listingOrder) are made here
 * when not given.
 */
export function renderListingHtml(
  displayPath: string,
  items: readonly ListingItem[],
  isRoot: boolean,
  view = 0,
  rows: readonly string[] = listingRows(items),
  order: Uint32Array | null = view === 0 ? null : listingOrder(items, view),
): string {
  const parts: string[] = [];
  if (!isRoot)
    parts.push('<tr class="up"><td class="n"><a href="../">../</a></td><td class="s"></td><td class="m"></td></tr>');
  if (order === null) for (const row of rows) parts.push(row);
  else for (const i of order) parts.push(rows[i]!);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">
<title>Index of ${escapeHtml(displayPath)}</title>
<style>${STYLE}</style>
</head><body><header><h1>Index of ${breadcrumbs(displayPath)}</h1>
<p class="summary">${summary(items)}</p>
<input id="filter" type="search" placeholder="Filter names (press /)" aria-label="Filter names" autocomplete="off" hidden>
</header><main><table><thead><tr>${headerCell(view, 0, "Name")}${headerCell(view, 1, "Size")}${headerCell(view, 2, "Modified (UTC)")}</tr></thead><tbody>
${parts.join("\n")}
</tbody></table></main><script>${SCRIPT}</script></body></html>
`;
}
