// Black-box tests of static file serving over raw sockets against the real CLI: paths and traversal
// (plain and encoded), symlinks, dotfiles, listings, content types, HEAD, redirects, methods, errors.
// The plain-HTTP cases also run against nginx when it is installed, to keep expectations compatible.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { exchange, parseResponses, get } from "../helpers/raw.ts";
import { casesOnNginx, casesOnPortico, type SharedCase } from "../helpers/shared-cases.ts";
import { LARGE, makeStaticSite } from "../helpers/static-site.ts";

const site = makeStaticSite();

/** Cases whose expected answers are plain HTTP: Portico and nginx must both pass them. */
const SHARED: readonly SharedCase[] = [
  [
    "a file is served with its bytes, type and length",
    async (port) => {
      const res = await get(port, "/hello.txt");
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "hello world\n");
      assert.match(res.headers["content-type"]!, /^text\/plain/);
      assert.equal(res.headers["content-length"], "12");
      assert.ok(res.headers.etag !== undefined && res.headers["last-modified"] !== undefined);
    },
  ],
  [
    "/ serves index.html",
    async (port) => {
      const res = await get(port, "/");
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "<h1>home</h1>\n");
    },
  ],
  [
    "a directory's index is served at its slash form",
    async (port) => {
      const res = await get(port, "/withindex/");
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "<p>with index</p>\n");
    },
  ],
  [
    "a directory without its trailing slash is redirected with 301 to the slash form, query kept",
    async (port) => {
      const res = await get(port, "/sub");
      assert.equal(res.status, 301);
      assert.match(res.headers.location!, /^(http:\/\/[^/]+)?\/sub\/$/);
      const withQuery = await get(port, "/withindex?a=1&b=2");
      assert.equal(withQuery.status, 301);
      assert.match(withQuery.headers.location!, /^(http:\/\/[^/]+)?\/withindex\/\?a=1&b=2$/);
    },
  ],
  [
    "missing files are 404",
    async (port) => {
      assert.equal((await get(port, "/nope.txt")).status, 404);
      assert.equal((await get(port, "/nope/deeper.txt")).status, 404);
      assert.equal((await get(port, "/hello.txt/x")).status, 404, "ENOTDIR");
    },
  ],
  [
    "a file name with a trailing slash is not found",
    async (port) => {
      assert.equal((await get(port, "/hello.txt/")).status, 404);
    },
  ],
  [
    "percent-encoded names are decoded",
    async (port) => {
      assert.equal((await get(port, "/space%20name.txt")).body.toString(), "spaced\n");
      assert.equal((await get(port, "/hello%2Etxt")).body.toString(), "hello world\n");
    },
  ],
  [
    "dot segments resolve inside the root",
    async (port) => {
      const res = await get(port, "/sub/../hello.txt");
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "hello world\n");
      assert.equal((await get(port, "/sub/./b.txt")).body.toString(), "b\n");
    },
  ],
  [
    "traversal above the root never reaches outside files, plain or encoded",
    async (port) => {
      for (const target of [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/sub/../../../etc/passwd",
        "/.%2e/.%2e/etc/passwd",
      ]) {
        const res = await get(port, target);
        assert.ok(res.status === 400 || res.status === 404, `${target} → ${res.status}`);
        assert.ok(!res.body.toString().includes("root:"), target);
      }
    },
  ],
  [
    "a malformed percent-escape is 400",
    async (port) => {
      assert.equal((await get(port, "/hello%zz.txt")).status, 400);
      assert.equal((await get(port, "/hello%2")).status, 400);
    },
  ],
  [
    "an encoded NUL is 400",
    async (port) => {
      assert.equal((await get(port, "/hello.txt%00.png")).status, 400);
    },
  ],
  [
    "a double-encoded dot segment is just a name",
    async (port) => {
      assert.equal((await get(port, "/sub/%252e%252e/hello.txt")).status, 404);
    },
  ],
  [
    "content types come from the MIME database",
    async (port) => {
      assert.match((await get(port, "/page.html")).headers["content-type"]!, /^text\/html/);
      assert.match((await get(port, "/style.css")).headers["content-type"]!, /^text\/css/);
      assert.match((await get(port, "/app.js")).headers["content-type"]!, /^(text|application)\/javascript/);
      assert.match((await get(port, "/data.json")).headers["content-type"]!, /^application\/json/);
      assert.equal((await get(port, "/image.png")).headers["content-type"], "image/png");
      assert.equal((await get(port, "/noext")).headers["content-type"], "application/octet-stream");
      assert.equal((await get(port, "/file.unknownext")).headers["content-type"], "application/octet-stream");
    },
  ],
  [
    "HEAD has the headers of GET and no body",
    async (port) => {
      const { bytes } = await exchange(
        port,
        "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        { timeoutMs: 5000 },
      );
      const [head, full] = parseResponses(bytes, new Set([0]));
      assert.equal(head!.status, 200);
      assert.equal(head!.body.length, 0);
      for (const name of ["content-type", "content-length", "etag", "last-modified", "accept-ranges"])
        assert.equal(head!.headers[name], full!.headers[name], name);
      assert.equal(full!.body.toString(), "hello world\n");
    },
  ],
  [
    "HEAD of a large file has its length and no body",
    async (port) => {
      const res = await get(port, "/large.bin", {}, "HEAD");
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-length"], String(LARGE.length));
      assert.equal(res.body.length, 0);
    },
  ],
  [
    "a large file streams whole and intact",
    async (port) => {
      const res = await get(port, "/large.bin");
      assert.equal(res.status, 200);
      assert.equal(res.body.length, LARGE.length);
      assert.ok(res.body.equals(LARGE));
    },
  ],
  [
    "an empty file is 200 with Content-Length 0",
    async (port) => {
      const res = await get(port, "/empty.txt");
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-length"], "0");
    },
  ],
  [
    "POST, PUT and DELETE on a file are 405 with Allow",
    async (port) => {
      for (const method of ["POST", "PUT", "DELETE"]) {
        const res = await get(port, "/hello.txt", { "Content-Length": "0" }, method);
        assert.equal(res.status, 405, method);
        assert.ok(!res.body.toString().includes("hello world"), `${method} must not return the file`);
      }
    },
  ],
  [
    "several requests on one keep-alive connection",
    async (port) => {
      const one = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n";
      const { bytes } = await exchange(
        port,
        `${one}GET /digits.txt HTTP/1.1\r\nHost: x\r\n\r\n${one}GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        { timeoutMs: 5000 },
      );
      const responses = parseResponses(bytes);
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 200, 200, 404],
      );
      assert.equal(responses[1]!.body.toString(), "0123456789");
    },
  ],
];

describe("portico", () => {
  const server = casesOnPortico(SHARED, { root: site.root });

  test("a symlink leaving the root is 404 (nginx needs disable_symlinks for this); one inside is served", async () => {
    assert.equal((await get(server.port, "/link-out.txt")).status, 404);
    assert.equal((await get(server.port, "/dir-out/inner.txt")).status, 404);
    assert.equal((await get(server.port, "/link-in.txt")).body.toString(), "hello world\n");
  });

  test("a FIFO or other special file is 404, and never blocks the server", async () => {
    execFileSync("mkfifo", [path.join(site.root, "pipe.txt")]);
    assert.equal((await get(server.port, "/pipe.txt")).status, 404);
    assert.equal((await get(server.port, "/hello.txt")).status, 200);
  });

  test("405 names the allowed methods", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      assert.equal(
        (await get(server.port, "/hello.txt", { "Content-Length": "0" }, method)).headers.allow,
        "GET, HEAD, OPTIONS",
      );
    }
  });

  test("every file response carries X-Content-Type-Options: nosniff and Accept-Ranges: bytes", async () => {
    for (const target of ["/hello.txt", "/image.png", "/large.bin"]) {
      const res = await get(server.port, target, {}, "HEAD");
      assert.equal(res.headers["x-content-type-options"], "nosniff", target);
      assert.equal(res.headers["accept-ranges"], "bytes", target);
    }
  });

  test("text types carry charset=utf-8", async () => {
    assert.equal((await get(server.port, "/hello.txt")).headers["content-type"], "text/plain; charset=utf-8");
    assert.equal((await get(server.port, "/data.json")).headers["content-type"], "application/json; charset=utf-8");
  });

  test("the redirect Location is built from the normalised path, never scheme-relative", async () => {
    const res = await get(server.port, "//sub");
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, "/sub/");
    assert.equal((await get(server.port, "/sub/zdir?q=%20")).headers.location, "/sub/zdir/?q=%20");
  });

  test("an encoded slash never creates a segment boundary", async () => {
    assert.equal((await get(server.port, "/sub%2Fb.txt")).status, 404);
    assert.equal((await get(server.port, "/sub%2F..%2Fhello.txt")).status, 404);
  });

  test("a backslash is not a separator", async () => {
    assert.equal((await get(server.port, "/sub\\..\\hello.txt")).status, 404);
    assert.equal((await get(server.port, "/sub%5C..%5Chello.txt")).status, 404);
  });

  test("a well-formed escape that is not UTF-8 is 404", async () => {
    assert.equal((await get(server.port, "/hello%FF.txt")).status, 404);
  });

  test("dotfiles are 404 by default, at any depth and encoded; /.well-known/ is served", async () => {
    for (const target of ["/.git/config", "/.env", "/sub/.hidden", "/%2Egit/config", "/.git/", "/.git"]) {
      assert.equal((await get(server.port, target)).status, 404, target);
    }
    assert.equal((await get(server.port, "/.well-known/security.txt")).body.toString(), "Contact: x\n");
  });

  test("a symlink cannot expose a dotfile: its real path is checked too", async () => {
    assert.equal((await get(server.port, "/env-link.txt")).status, 404);
    assert.equal((await get(server.port, "/git-link/config")).status, 404);
  });

  test("error bodies are plain text Reason lines", async () => {
    const res = await get(server.port, "/nope");
    assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(res.body.toString(), "Not Found\n");
    assert.equal((await get(server.port, "/a%zz")).body.toString(), "Bad Request\n");
  });

  test("OPTIONS is 204 with Allow; an unknown method is 501", async () => {
    const options = await get(server.port, "/hello.txt", {}, "OPTIONS");
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, "GET, HEAD, OPTIONS");
    const unknown = await get(server.port, "/hello.txt", {}, "BREW");
    assert.equal(unknown.status, 501);
    const patch = await get(server.port, "/hello.txt", { "Content-Length": "0" }, "PATCH");
    assert.equal(patch.status, 405);
    assert.equal(patch.headers.allow, "GET, HEAD, OPTIONS");
  });

  test("a listing is HTML: directories first, names escaped and encoded, parent link, no dotfiles", async () => {
    const res = await get(server.port, "/sub/");
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
    const html = res.body.toString();
    assert.ok(html.includes('href="../"'), "parent link");
    const order = ["zdir/", "a%20b.txt", "b.txt"].map((href) => html.indexOf(`href="${href}"`));
    assert.ok(
      order.every((i) => i !== -1),
      `all entries linked: ${order}`,
    );
    assert.ok(order[0]! < order[1]! && order[1]! < order[2]!, "directories first, then by name");
    assert.ok(html.includes("&lt;x&gt;&amp;&quot;&#39;.txt"), "name escaped");
    assert.ok(html.includes('href="%3Cx%3E%26%22&#39;.txt"'), "href encoded");
    assert.ok(!html.includes("<x>"));
    assert.ok(!html.includes(".hidden"));
    assert.ok(html.includes('title="2 bytes">2 B<'), "sizes shown, exact bytes in a tooltip");
    assert.match(
      html,
      /<time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z">\d{4}-\d{2}-\d{2}<span class="t"> \d{2}:\d{2}<\/span><\/time>/,
    );
  });

  test("a nested directory is listed too", async () => {
    const res = await get(server.port, "/sub/zdir/");
    assert.ok(res.body.toString().includes("z.txt"));
  });

  test("a listing is JSON when the client asks for application/json", async () => {
    const res = await get(server.port, "/sub/", { Accept: "application/json" });
    assert.match(res.headers["content-type"]!, /^application\/json/);
    const items = JSON.parse(res.body.toString()) as Array<{ name: string; type: string; size?: number }>;
    assert.deepEqual(
      items.map((i) => i.name),
      ["zdir", "<x>&\"'.txt", "a b.txt", "b.txt"],
    );
    assert.equal(items[0]!.type, "directory");
    assert.equal(items[3]!.size, 2);
    assert.match(res.headers.vary ?? "", /Accept/);
  });

  test("Cache-Control defaults to revalidation through validators", async () => {
    assert.equal((await get(server.port, "/hello.txt")).headers["cache-control"], "no-cache");
  });
});

casesOnNginx(SHARED, { root: site.root });
