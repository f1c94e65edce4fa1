// What a real browser sees: Debian's Chromium, driven headless by playwright-core, against the real server
// (listings, the status dashboard, --spa, ranges and content coding). Not a protocol test: the raw-socket
// e2e files pin the bytes; this one checks that browsers render and use them as intended.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

// The few browser globals the page functions below use. Declared here, not through the DOM lib, so that
// browser names never type-check in src/ (they run in Chromium, not in Node).
interface PageElement {
  readonly textContent: string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
declare const document: PageElement & {
  getElementById(id: string): PageElement | null;
  addEventListener(
    type: "securitypolicyviolation",
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
};
declare const location: { readonly href: string; readonly pathname: string };

const CHROMIUM = "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this closed
// network refuses; --no-sandbox because tests may run as root.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run does) to run the browser tests`);
const skip = hasChromium ? false : `browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`;

const ODD_NAME = `<b>&"x'.txt`;
const TEXT = "Portico serves this line compressed to browsers that ask for it.\n".repeat(200);
/** Above the default --cache-max-file (1 MiB), so ranges are read from disk like a real video's. */
const VIDEO = Buffer.alloc(3 * 1024 * 1024 + 5);
for (let i = 0; i < VIDEO.length; i++) VIDEO[i] = (i * 7 + (i >> 12)) & 0xff;
const SPA_INDEX = `<!doctype html><html><head><meta charset="utf-8"><title>spa</title></head>
<body><p id="route">not yet</p><script>document.getElementById("route").textContent = location.pathname;</script></body></html>
`;

const root = makeSite({
  "index.html": SPA_INDEX,
  "files/a.txt": "file a\n",
  [`files/${ODD_NAME}`]: "odd file\n",
  "files/zeta/inner.txt": "inner\n",
  "files/beta/.keep": "",
  "media/clip.mp4": VIDEO,
  "text/long.txt": TEXT,
});

describe("in a browser", { skip, timeout: 60_000 }, () => {
  let server: RunningServer;
  let context: BrowserContext;
  let profile: string;
  let origin: string;

  before(async () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "portico-chromium-"));
    // Both are kept even when the other fails, so after() closes them: a browser left running would
    // keep this file's process (and the whole suite) alive.
    const [started, launched] = await Promise.allSettled([
      startServer({ args: ["--root", root, "--spa", "--status-path", "/_portico", "--quiet", "-t", "2"] }),
      chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
    ]);
    if (started.status === "fulfilled") server = started.value;
    if (launched.status === "fulfilled") context = launched.value;
    if (started.status === "rejected") throw started.reason;
    if (launched.status === "rejected") throw launched.reason;
    origin = `http://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await context?.close();
    await server?.stop();
    if (profile !== undefined) fs.rmSync(profile, { recursive: true, force: true });
  });

  /**
   * A fresh tab; every console error and uncaught exception of it is collected in `problems`. The site
   * has no favicon: its 404 is expected on the site's own pages (`siteFavicon`), never on the dashboard.
   */
  async function openPage(siteFavicon = false): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      const where = message.location().url;
      if (siteFavicon && new URL(where, origin).pathname === "/favicon.ico") return;
      if (message.type() === "error") problems.push(`console: ${message.text()} (${where})`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    return { page, problems };
  }

  // First, so that the dashboard is the origin's first page: Chromium asks for /favicon.ico once per
  // origin, and the dashboard must not make it (nor count its 404).
  test("the dashboard loads cleanly and its counters follow the traffic", async () => {
    const { page, problems } = await openPage();
    // CSP violations are reported as console errors too; the event catches any that are not.
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const response = await page.goto(`${origin}/_portico`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()["content-security-policy"] ?? "", /default-src 'self'/);
    const requestsShown = async (): Promise<number> =>
      Number((await page.locator("#requests").textContent())!.replace(/\D/g, ""));
    await page.waitForFunction(() => /\d/.test(document.getElementById("requests")!.textContent!), null, {
      timeout: 5000,
    });
    const initial = await requestsShown();

    for (let i = 0; i < 12; i++) assert.equal((await fetch(`${origin}/files/a.txt`)).status, 200);
    for (let i = 0; i < 3; i++)
      assert.equal((await fetch(`${origin}/missing.png`, { headers: { Accept: "image/png" } })).status, 404);
    // Threads publish their counters a few times a second and the page polls once a second.
    await page.waitForFunction(
      (atLeast) => {
        const shown = Number(document.getElementById("requests")!.textContent!.replace(/\D/g, ""));
        const rows = [...document.querySelectorAll("#status tr")].map((tr) =>
          [...tr.querySelectorAll("td")].map((td) => td.textContent),
        );
        return shown >= atLeast && rows.some(([code, count]) => code === "404" && Number(count) >= 3);
      },
      initial + 15,
      { timeout: 5000 },
    );
    assert.equal(await page.locator("#error").textContent(), "");
    assert.match((await page.locator("#version").textContent()) ?? "", /\S/);
    assert.equal(await page.locator("#threads tr").count(), 2);
    // The table of sites and routes: the command line's site, its one route with the traffic above.
    const routes = await page.evaluate(() =>
      [...document.querySelectorAll("#routes tr")].map((tr) =>
        [...tr.querySelectorAll("td")].map((td) => td.textContent),
      ),
    );
    const root = routes.find((cells) => cells[1] === "/");
    assert.ok(root !== undefined && Number(root[2]!.replace(/\D/g, "")) >= 15, JSON.stringify(routes));
    assert.equal(await page.locator("#routes-box").isVisible(), true);

    // The charts: five uPlot canvases that gain a point a second and draw the load as it comes.
    assert.equal(await page.locator(".chart canvas").count(), 5);
    const points = async (): Promise<number> => Number(await page.locator("#c-rps").getAttribute("data-points"));
    const before = await points();
    let load = true;
    const loader = (async () => {
      while (load) await fetch(`${origin}/files/a.txt`);
    })();
    try {
      await page.waitForFunction(
        (n) => {
          const el = document.getElementById("c-rps") as unknown as { dataset: { points?: string } };
          return Number(el.dataset.points) >= n + 3;
        },
        before,
        { timeout: 20_000 },
      );
    } finally {
      load = false;
      await loader;
    }
    assert.ok((await points()) > before, "new points while under load");
    // Drawn: the requests/s canvas has coloured (non-transparent) pixels along its series.
    const painted = await page.evaluate(() => {
      const canvas = (document as unknown as { querySelector(s: string): unknown }).querySelector("#c-rps canvas") as {
        width: number;
        height: number;
        getContext(k: "2d"): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
      };
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) n++;
      return n;
    });
    assert.ok(painted > 500, `${painted} painted pixels`);
    const rpsShown = Number((await page.locator("#rps").textContent())!.replace(/[^\d.]/g, ""));
    assert.ok(rpsShown >= 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("the dashboard fits a phone's width: no horizontal page scroll, charts as wide as the screen", async () => {
    const { page, problems } = await openPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${origin}/_portico`);
    await page.waitForFunction(
      () =>
        Number((document.getElementById("c-rps") as unknown as { dataset: { points?: string } }).dataset.points) >= 1,
      null,
      {
        timeout: 10_000,
      },
    );
    const widths = await page.evaluate(() => {
      const d = document as unknown as {
        documentElement: { scrollWidth: number; clientWidth: number };
        querySelector(s: string): { getBoundingClientRect(): { width: number } };
      };
      return {
        scroll: d.documentElement.scrollWidth,
        client: d.documentElement.clientWidth,
        chart: d.querySelector("#c-rps canvas").getBoundingClientRect().width,
      };
    });
    assert.ok(widths.scroll <= widths.client, `page ${widths.scroll}px wide in a ${widths.client}px screen`);
    assert.ok(widths.chart >= 300 && widths.chart <= widths.client, `chart ${widths.chart}px`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("a directory listing shows directories first, escapes names and its links work", async () => {
    const { page, problems } = await openPage(true);
    const response = await page.goto(`${origin}/files/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.locator("h1").textContent(), "Index of /files/");
    const names = await page.locator("tbody a").allTextContents();
    // Directories first, then files, each group in natural order: "<" sorts before "a".
    assert.deepEqual(names, ["../", "beta/", "zeta/", ODD_NAME, "a.txt"]);
    // The name is text, not markup: no <b> element was created from it.
    assert.equal(await page.locator("tbody b").count(), 0);

    await page.getByRole("link", { name: ODD_NAME, exact: true }).click();
    await page.waitForURL(/x'\.txt$/);
    assert.equal(decodeURIComponent(new URL(page.url()).pathname), `/files/${ODD_NAME}`);
    assert.equal(await page.locator("body").textContent(), "odd file\n");

    await page.goto(`${origin}/files/`);
    await page.getByRole("link", { name: "zeta/", exact: true }).click();
    await page.waitForURL(`${origin}/files/zeta/`);
    assert.equal(await page.locator("h1").textContent(), "Index of /files/zeta/");
    assert.deepEqual(await page.locator("tbody a").allTextContents(), ["../", "inner.txt"]);
    await page.getByRole("link", { name: "../", exact: true }).click();
    await page.waitForURL(`${origin}/files/`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("a listing sorts by its column links without script, filters with script, and fits a phone in dark mode", async () => {
    const { page, problems } = await openPage(true);
    // A CSP that did not allow the page's own style and script would show here as a violation.
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const response = await page.goto(`${origin}/files/?sort=name&order=desc`);
    assert.match(response?.headers()["content-security-policy"] ?? "", /^default-src 'none'; style-src 'sha256-/);
    assert.deepEqual(await page.locator("tbody a").allTextContents(), ["../", "zeta/", "beta/", "a.txt", ODD_NAME]);
    // The column links are plain links: they work without script.
    await page.getByRole("link", { name: "Size", exact: true }).click();
    await page.waitForURL(`${origin}/files/?sort=size&order=asc`);
    assert.equal(await page.locator('th[aria-sort="ascending"]').textContent(), "Size \u2191");
    // Exact bytes in the size's tooltip.
    assert.equal(await page.locator("td.s", { hasText: "B" }).first().getAttribute("title"), "7 bytes");
    // Breadcrumbs: the root's link leads up.
    await page.locator("h1 a").first().click();
    await page.waitForURL(`${origin}/`);
    await page.goto(`${origin}/files/`);
    // The filter box is there once script runs; it hides the rows whose names do not match.
    await page.locator("#filter").fill("ZET");
    assert.deepEqual(await page.locator("tbody tr:not([hidden]) a").allTextContents(), ["../", "zeta/"]);
    await page.locator("#filter").fill("");
    assert.equal(await page.locator("tbody tr:not([hidden])").count(), 5);

    // A phone in dark mode: nothing wider than the screen, dark colours, dates on one line.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${origin}/files/`);
    const look = await page.evaluate(() => {
      const d = document as unknown as {
        documentElement: { scrollWidth: number; clientWidth: number };
        body: unknown;
        querySelector(s: string): { getBoundingClientRect(): { height: number } };
      };
      const view = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } };
      return {
        scroll: d.documentElement.scrollWidth,
        client: d.documentElement.clientWidth,
        background: view.getComputedStyle(d.body).backgroundColor,
        dateHeight: d.querySelector("td.m time").getBoundingClientRect().height,
        nameHeight: d.querySelector("td.n a").getBoundingClientRect().height,
      };
    });
    assert.ok(look.scroll <= look.client, `page ${look.scroll}px wide in a ${look.client}px screen`);
    assert.equal(look.background, "rgb(13, 17, 23)");
    assert.ok(look.dateHeight <= look.nameHeight * 1.5, `a date on one line (${look.dateHeight}px)`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test("--spa: a deep client-side route gets index.html, whose script reads location.pathname", async () => {
    const { page, problems } = await openPage(true);
    const response = await page.goto(`${origin}/app/settings`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.locator("#route").textContent(), "/app/settings");
    assert.deepEqual(problems, []);
    // A missing asset (fetch does not ask for text/html) is still a 404, not the app's page.
    assert.equal(await page.evaluate(async () => (await fetch("/app/missing.js")).status), 404);
    await page.close();
  });

  test("a large media file answers a Range fetch with 206 and the right bytes; text arrives decoded", async () => {
    const { page, problems } = await openPage(true);
    await page.goto(`${origin}/`);
    const start = 2 * 1024 * 1024 + 3;
    const end = start + 99;
    const ranged = await page.evaluate(
      async ([from, to]) => {
        const res = await fetch("/media/clip.mp4", { headers: { Range: `bytes=${from}-${to}` } });
        return {
          status: res.status,
          type: res.headers.get("content-type"),
          range: res.headers.get("content-range"),
          bytes: [...new Uint8Array(await res.arrayBuffer())],
        };
      },
      [start, end] as const,
    );
    assert.equal(ranged.status, 206);
    assert.equal(ranged.type, "video/mp4");
    assert.equal(ranged.range, `bytes ${start}-${end}/${VIDEO.length}`);
    assert.deepEqual(ranged.bytes, [...VIDEO.subarray(start, end + 1)]);

    const text = await page.evaluate(async () => {
      const res = await fetch("/text/long.txt");
      const body = await res.text();
      const timing = performance.getEntriesByName(new URL("/text/long.txt", location.href).href)[0] as unknown as {
        encodedBodySize: number;
        decodedBodySize: number;
      };
      return {
        status: res.status,
        encoding: res.headers.get("content-encoding"),
        body,
        encoded: timing.encodedBodySize,
        decoded: timing.decodedBodySize,
      };
    });
    assert.equal(text.status, 200);
    // Chromium offers gzip, deflate, br and zstd; the server picks one it has (RFC 9110 §12.5.3).
    assert.match(text.encoding ?? "", /^(gzip|br|zstd)$/);
    assert.equal(text.body, TEXT);
    assert.equal(text.decoded, TEXT.length);
    assert.ok(text.encoded < text.decoded / 10, `compressed body of ${text.encoded} bytes for ${text.decoded}`);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
