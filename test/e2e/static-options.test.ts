// Black-box tests of the file-serving options: --no-listing, --spa, --dotfiles, --follow-symlinks,
// --index, --cache-control, 404.html, --cache-revalidate (changes on disk) and --cache-max-file.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { request, get } from "../helpers/raw.ts";
import { makeSite, type RunningServer, runCli, startServer } from "../helpers/server.ts";
import { makeStaticSite } from "../helpers/static-site.ts";
import { delay } from "../helpers/wait.ts";

const site = makeStaticSite();

/** Runs `body` against a server started with `args` on `root`, stopping it afterwards. */
function withServer(name: string, args: readonly string[], body: (port: () => number) => void, root = site.root): void {
  describe(name, () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer({ args: ["--root", root, "-t", "1", ...args] });
    });
    after(async () => {
      assert.equal(await server.stop(), 0);
    });
    body(() => server.port);
  });
}

withServer("--no-listing", ["--no-listing"], (port) => {
  test("a directory without an index is 403 Forbidden", async () => {
    const res = await get(port(), "/sub/");
    assert.equal(res.status, 403);
    assert.equal(res.body.toString(), "Forbidden\n");
  });
  test("such a directory without its slash is 403 at once (no redirect to a 403)", async () => {
    const res = await get(port(), "/sub");
    assert.equal(res.status, 403);
    assert.equal(res.body.toString(), "Forbidden\n");
  });
  test("directories with an index and files are unaffected", async () => {
    assert.equal((await get(port(), "/withindex/")).status, 200);
    assert.equal((await get(port(), "/withindex")).status, 301);
    assert.equal((await get(port(), "/sub/b.txt")).status, 200);
  });
});

withServer("--spa", ["--spa"], (port) => {
  test("a missing path that accepts text/html gets index.html with 200", async () => {
    const res = await get(port(), "/app/route/42", { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "<h1>home</h1>\n");
    assert.match(res.headers["content-type"]!, /^text\/html/);
    const head = await get(port(), "/app/route", { Accept: "text/html" }, "HEAD");
    assert.equal(head.status, 200);
  });
  test("a missing asset (no text/html in Accept) stays 404", async () => {
    assert.equal((await get(port(), "/missing.js", { Accept: "*/*" })).status, 404);
    assert.equal((await get(port(), "/missing.js")).status, 404);
  });
  test("dotfiles and bad paths are not rescued by the SPA fallback", async () => {
    assert.equal((await get(port(), "/.env", { Accept: "text/html" })).status, 404);
    assert.equal((await get(port(), "/a%zz", { Accept: "text/html" })).status, 400);
  });
  test("existing files are served as usual", async () => {
    assert.equal((await get(port(), "/hello.txt", { Accept: "text/html" })).body.toString(), "hello world\n");
  });
});

withServer("--dotfiles allow", ["--dotfiles", "allow"], (port) => {
  test("dotfiles are served but never listed", async () => {
    assert.equal((await get(port(), "/.env")).body.toString(), "SECRET=1\n");
    assert.equal((await get(port(), "/sub/.hidden")).status, 200);
    assert.equal((await get(port(), "/env-link.txt")).body.toString(), "SECRET=1\n");
    assert.ok(!(await get(port(), "/sub/")).body.toString().includes(".hidden"));
  });
});

withServer("--follow-symlinks", ["--follow-symlinks"], (port) => {
  test("symlinks leaving the root are served", async () => {
    assert.equal((await get(port(), "/link-out.txt")).body.toString(), "outside secret\n");
    assert.equal((await get(port(), "/dir-out/inner.txt")).body.toString(), "inner\n");
  });
});

withServer(
  "--index and --cache-control",
  ["--index", "default.htm,index.html", "--cache-control", "public, max-age=60"],
  (port) => {
    test("index names are tried in order", async () => {
      assert.equal((await get(port(), "/")).body.toString(), "<h1>home</h1>\n");
    });
    test("Cache-Control is sent on 200 and 304 alike", async () => {
      const full = await get(port(), "/hello.txt");
      assert.equal(full.headers["cache-control"], "public, max-age=60");
      const res = await get(port(), "/hello.txt", { "If-None-Match": full.headers.etag! });
      assert.equal(res.status, 304);
      assert.equal(res.headers["cache-control"], "public, max-age=60");
    });
  },
);

withServer("--cache-control ''", ["--cache-control", ""], (port) => {
  test("an empty value sends no Cache-Control", async () => {
    assert.equal((await get(port(), "/hello.txt")).headers["cache-control"], undefined);
  });
});

const custom = makeSite({ "404.html": "<h1>custom missing</h1>\n", "a.txt": "a\n", "d/x": "x" });
withServer(
  "404.html",
  ["--index", "default.htm"],
  (port) => {
    test("a 404.html at the root is the 404 body", async () => {
      const res = await get(port(), "/nope");
      assert.equal(res.status, 404);
      assert.equal(res.body.toString(), "<h1>custom missing</h1>\n");
      assert.match(res.headers["content-type"]!, /^text\/html/);
      const head = await get(port(), "/nope", {}, "HEAD");
      assert.equal(head.status, 404);
      assert.equal(head.body.length, 0);
    });
    test("other errors keep their plain text bodies", async () => {
      assert.equal((await get(port(), "/a%zz")).body.toString(), "Bad Request\n");
    });
    test("a directory with none of the configured index names is listed", async () => {
      assert.equal((await get(port(), "/d/")).status, 200);
    });
  },
  custom,
);

const changing = makeSite({ "f.txt": "version 1\n", "gone.txt": "here\n" });
withServer(
  "--cache-revalidate 0",
  ["--cache-revalidate", "0"],
  (port) => {
    test("a file changed on disk is served new at once, with a new ETag", async () => {
      const first = await get(port(), "/f.txt");
      assert.equal(first.body.toString(), "version 1\n");
      fs.writeFileSync(path.join(changing, "f.txt"), "version 2 is longer\n");
      const second = await get(port(), "/f.txt");
      assert.equal(second.body.toString(), "version 2 is longer\n");
      assert.notEqual(second.headers.etag, first.headers.etag);
      assert.equal((await get(port(), "/f.txt", { "If-None-Match": first.headers.etag! })).status, 200);
    });
    test("a file created after a 404 is served at once", async () => {
      assert.equal((await get(port(), "/later.txt")).status, 404);
      fs.writeFileSync(path.join(changing, "later.txt"), "now here\n");
      assert.equal((await get(port(), "/later.txt")).body.toString(), "now here\n");
    });
    test("a deleted file is 404 at once", async () => {
      assert.equal((await get(port(), "/gone.txt")).status, 200);
      fs.unlinkSync(path.join(changing, "gone.txt"));
      assert.equal((await get(port(), "/gone.txt")).status, 404);
    });
  },
  changing,
);

const bounded = makeSite({ "f.txt": "old\n" });
withServer(
  "--cache-revalidate 100ms",
  ["--cache-revalidate", "100ms"],
  (port) => {
    test("a change on disk is picked up once the bound has passed", async () => {
      assert.equal((await get(port(), "/f.txt")).body.toString(), "old\n");
      fs.writeFileSync(path.join(bounded, "f.txt"), "new\n");
      await delay(250);
      assert.equal((await get(port(), "/f.txt")).body.toString(), "new\n");
    });
    test("a 404 is remembered no longer than the bound", async () => {
      assert.equal((await get(port(), "/created.txt")).status, 404);
      assert.equal((await get(port(), "/created.txt")).body.toString(), "Not Found\n");
      fs.writeFileSync(path.join(bounded, "created.txt"), "created\n");
      await delay(250);
      assert.equal((await get(port(), "/created.txt")).body.toString(), "created\n");
    });
  },
  bounded,
);

withServer("--cache-max-file 0", ["--cache-max-file", "0"], (port) => {
  test("with no file cached, every rule still holds from disk", async () => {
    const full = await get(port(), "/digits.txt");
    assert.equal(full.body.toString(), "0123456789");
    assert.equal((await get(port(), "/digits.txt", { "If-None-Match": full.headers.etag! })).status, 304);
    const range = await get(port(), "/digits.txt", { Range: "bytes=-2" });
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), "89");
    assert.equal((await get(port(), "/pre.js", { "Accept-Encoding": "gzip" })).headers["content-encoding"], "gzip");
    assert.equal(
      (await get(port(), "/big.txt", { "Accept-Encoding": "gzip" })).headers["content-encoding"],
      undefined,
      "on-the-fly compression needs the cache",
    );
  });
});

withServer("--cache-size 4k", ["--cache-size", "4k"], (port) => {
  test("a tiny cache evicts but answers stay right", async () => {
    for (let i = 0; i < 3; i++) {
      for (const [target, body] of [
        ["/hello.txt", "hello world\n"],
        ["/digits.txt", "0123456789"],
        ["/app.js", "let x = 1;\n"],
      ] as const) {
        assert.equal((await get(port(), target)).body.toString(), body);
      }
    }
  });
});

const written = makeSite({ "w.txt": "before\n" });
fs.symlinkSync("loop", path.join(written, "loop"));
withServer(
  "--writable on two threads",
  ["--writable", "-t", "2"],
  (port) => {
    test("a PUT is seen at once by every thread's cache, despite the revalidation bound", async () => {
      for (let i = 0; i < 8; i++) assert.equal((await get(port(), "/w.txt")).body.toString(), "before\n");
      const put = await request(
        port(),
        "PUT /w.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nafter\n",
        { timeoutMs: 5000 },
      );
      assert.equal(put.status, 200);
      for (let i = 0; i < 8; i++) assert.equal((await get(port(), "/w.txt")).body.toString(), "after\n");
    });
    test("a PUT of an index file is seen at once through its directory's URL, on every thread", async () => {
      fs.mkdirSync(path.join(written, "d3"), { recursive: true });
      fs.writeFileSync(path.join(written, "d3", "index.html"), "OLD");
      for (let i = 0; i < 8; i++) assert.equal((await get(port(), "/d3/")).body.toString(), "OLD");
      const put = await request(
        port(),
        "PUT /d3/index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nNEW",
        { timeoutMs: 5000 },
      );
      assert.equal(put.status, 200);
      for (let i = 0; i < 16; i++) assert.equal((await get(port(), "/d3/")).body.toString(), "NEW");
    });
    test("a directory found without an index is seen at once once a PUT adds one", async () => {
      fs.mkdirSync(path.join(written, "d4"), { recursive: true });
      assert.equal((await get(port(), "/d4/")).status, 200, "a listing first");
      const put = await request(
        port(),
        "PUT /d4/index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nINDEX",
        { timeoutMs: 5000 },
      );
      assert.equal(put.status, 201);
      for (let i = 0; i < 8; i++) assert.equal((await get(port(), "/d4/")).body.toString(), "INDEX");
    });
    test("OPTIONS and 405 name PUT and DELETE when writes are on", async () => {
      assert.equal((await get(port(), "/w.txt", {}, "OPTIONS")).headers.allow, "GET, HEAD, PUT, DELETE, OPTIONS");
      const post = await get(port(), "/w.txt", { "Content-Length": "0" }, "POST");
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, "GET, HEAD, PUT, DELETE, OPTIONS");
    });
    test("a PUT or DELETE below a symlink loop is 404, as a GET of it is", async () => {
      assert.equal((await get(port(), "/loop/x.txt")).status, 404);
      const put = await request(
        port(),
        "PUT /loop/x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nx\n",
        { timeoutMs: 5000 },
      );
      assert.equal(put.status, 404);
      assert.equal(put.body.toString(), "Not Found\n");
      assert.equal((await get(port(), "/loop/x.txt", {}, "DELETE")).status, 404);
    });
    test("write answers are one text/plain line with nosniff, like every other static answer", async () => {
      const created = await request(
        port(),
        "PUT /fresh.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nf\n",
        { timeoutMs: 5000 },
      );
      assert.equal(created.status, 201);
      assert.equal(created.headers.location, "/fresh.txt");
      assert.equal(created.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(created.headers["x-content-type-options"], "nosniff");
      assert.equal(created.body.toString(), "Created\n");
      const unsized = await request(port(), "PUT /fresh.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
        timeoutMs: 5000,
      });
      assert.equal(unsized.status, 411);
      assert.equal(unsized.body.toString(), "Length Required\n");
    });
  },
  written,
);

describe("option validation", () => {
  test("--cache-control with a control character and --index with a path are refused", async () => {
    const cc = await runCli(["--root", site.root, "--cache-control", "a\r\nX: y", "0"]);
    assert.equal(cc.code, 1);
    assert.match(cc.stderr, /--cache-control/);
    const index = await runCli(["--root", site.root, "--index", "../x.html", "0"]);
    assert.equal(index.code, 1);
    assert.match(index.stderr, /--index/);
  });
});
