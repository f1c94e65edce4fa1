// Black-box tests of validators, conditional requests (RFC 9110 §13) and ranges (§14) over raw
// sockets, on cached (small) and streamed (large) files. Plain-HTTP cases also run against nginx.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { get } from "../helpers/raw.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";
import { casesOnNginx, casesOnPortico, type SharedCase } from "../helpers/shared-cases.ts";
import { LARGE, makeStaticSite, multipartParts } from "../helpers/static-site.ts";

const site = makeStaticSite();
const DIGITS = "0123456789";

async function validators(port: number, target: string): Promise<{ etag: string; lastModified: string }> {
  const res = await get(port, target, {}, "HEAD");
  return { etag: res.headers.etag!, lastModified: res.headers["last-modified"]! };
}

const before1999 = "Fri, 01 Jan 1999 00:00:00 GMT";

const SHARED: readonly SharedCase[] = [
  [
    "If-None-Match with the current ETag is 304 without a body, with the validators",
    async (port) => {
      for (const target of ["/hello.txt", "/large.bin"]) {
        const v = await validators(port, target);
        const res = await get(port, target, { "If-None-Match": v.etag });
        assert.equal(res.status, 304, target);
        assert.equal(res.body.length, 0);
        assert.equal(res.headers.etag, v.etag);
        assert.equal(res.headers["last-modified"], v.lastModified);
      }
    },
  ],
  [
    "If-None-Match uses weak comparison, lists and *",
    async (port) => {
      const { etag } = await validators(port, "/hello.txt");
      assert.equal((await get(port, "/hello.txt", { "If-None-Match": `W/${etag}` })).status, 304);
      assert.equal((await get(port, "/hello.txt", { "If-None-Match": `"nope", ${etag}` })).status, 304);
      assert.equal((await get(port, "/hello.txt", { "If-None-Match": "*" })).status, 304);
      assert.equal((await get(port, "/hello.txt", { "If-None-Match": '"nope"' })).status, 200);
    },
  ],
  [
    "If-None-Match answers HEAD with 304 too",
    async (port) => {
      const { etag } = await validators(port, "/hello.txt");
      assert.equal((await get(port, "/hello.txt", { "If-None-Match": etag }, "HEAD")).status, 304);
    },
  ],
  [
    "If-Modified-Since equal to Last-Modified is 304; an older date is 200",
    async (port) => {
      const { lastModified } = await validators(port, "/hello.txt");
      assert.equal((await get(port, "/hello.txt", { "If-Modified-Since": lastModified })).status, 304);
      assert.equal((await get(port, "/hello.txt", { "If-Modified-Since": before1999 })).status, 200);
      assert.equal(
        (await get(port, "/large.bin", { "If-Modified-Since": (await validators(port, "/large.bin")).lastModified }))
          .status,
        304,
      );
    },
  ],
  [
    "If-Modified-Since is ignored when If-None-Match is present",
    async (port) => {
      const { lastModified } = await validators(port, "/hello.txt");
      const res = await get(port, "/hello.txt", { "If-None-Match": '"other"', "If-Modified-Since": lastModified });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "hello world\n");
    },
  ],
  [
    "an invalid If-Modified-Since date is ignored",
    async (port) => {
      assert.equal((await get(port, "/hello.txt", { "If-Modified-Since": "not a date" })).status, 200);
    },
  ],
  [
    "If-Match that does not match is 412; a match or * proceeds",
    async (port) => {
      const { etag } = await validators(port, "/hello.txt");
      assert.equal((await get(port, "/hello.txt", { "If-Match": '"nope"' })).status, 412);
      assert.equal((await get(port, "/hello.txt", { "If-Match": etag })).status, 200);
      assert.equal((await get(port, "/hello.txt", { "If-Match": "*" })).status, 200);
    },
  ],
  [
    "If-Unmodified-Since before Last-Modified is 412",
    async (port) => {
      assert.equal((await get(port, "/hello.txt", { "If-Unmodified-Since": before1999 })).status, 412);
      const { lastModified } = await validators(port, "/hello.txt");
      assert.equal((await get(port, "/hello.txt", { "If-Unmodified-Since": lastModified })).status, 200);
    },
  ],
  [
    "a failed If-Match wins over a matching If-None-Match (§13.2.2)",
    async (port) => {
      const { etag } = await validators(port, "/hello.txt");
      assert.equal((await get(port, "/hello.txt", { "If-Match": '"nope"', "If-None-Match": etag })).status, 412);
    },
  ],
  [
    "a single range is 206 with Content-Range",
    async (port) => {
      const res = await get(port, "/digits.txt", { Range: "bytes=2-5" });
      assert.equal(res.status, 206);
      assert.equal(res.headers["content-range"], "bytes 2-5/10");
      assert.equal(res.body.toString(), "2345");
      assert.equal(res.headers["content-length"], "4");
    },
  ],
  [
    "a suffix range is the last N bytes",
    async (port) => {
      const res = await get(port, "/digits.txt", { Range: "bytes=-3" });
      assert.equal(res.status, 206);
      assert.equal(res.headers["content-range"], "bytes 7-9/10");
      assert.equal(res.body.toString(), "789");
      const all = await get(port, "/digits.txt", { Range: "bytes=-50" });
      assert.equal(all.status, 206);
      assert.equal(all.headers["content-range"], "bytes 0-9/10");
      assert.equal(all.body.toString(), DIGITS);
    },
  ],
  [
    "an open-ended range runs to the end; a long one is clamped",
    async (port) => {
      const open = await get(port, "/digits.txt", { Range: "bytes=7-" });
      assert.equal(open.headers["content-range"], "bytes 7-9/10");
      assert.equal(open.body.toString(), "789");
      const clamped = await get(port, "/digits.txt", { Range: "bytes=8-1000" });
      assert.equal(clamped.headers["content-range"], "bytes 8-9/10");
      assert.equal(clamped.body.toString(), "89");
    },
  ],
  [
    "several ranges are multipart/byteranges",
    async (port) => {
      const res = await get(port, "/digits.txt", { Range: "bytes=0-1,5-6" });
      assert.equal(res.status, 206);
      assert.match(res.headers["content-type"]!, /^multipart\/byteranges; boundary=/);
      const parts = multipartParts(res);
      assert.deepEqual(
        parts.map((p) => [p.range, p.body.toString()]),
        [
          ["bytes 0-1/10", "01"],
          ["bytes 5-6/10", "56"],
        ],
      );
      assert.match(parts[0]!.type, /^text\/plain/);
      assert.equal(res.headers["content-length"], String(res.body.length));
    },
  ],
  [
    "ranges of a large file come from disk",
    async (port) => {
      const one = await get(port, "/large.bin", { Range: "bytes=1000000-1000099" });
      assert.equal(one.status, 206);
      assert.ok(one.body.equals(LARGE.subarray(1000000, 1000100)));
      const tail = await get(port, "/large.bin", { Range: "bytes=-10" });
      assert.ok(tail.body.equals(LARGE.subarray(LARGE.length - 10)));
      const multi = await get(port, "/large.bin", { Range: "bytes=0-9,2000000-2000009" });
      const parts = multipartParts(multi);
      assert.equal(parts.length, 2);
      assert.ok(parts[0]!.body.equals(LARGE.subarray(0, 10)));
      assert.ok(parts[1]!.body.equals(LARGE.subarray(2000000, 2000010)));
    },
  ],
  [
    "an unsatisfiable range is 416 with Content-Range: bytes */length",
    async (port) => {
      const res = await get(port, "/digits.txt", { Range: "bytes=10-" });
      assert.equal(res.status, 416);
      assert.equal(res.headers["content-range"], "bytes */10");
      assert.equal((await get(port, "/digits.txt", { Range: "bytes=100-200" })).status, 416);
    },
  ],
  [
    "a range in another unit is ignored",
    async (port) => {
      const res = await get(port, "/digits.txt", { Range: "items=0-1" });
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), DIGITS);
    },
  ],
  [
    "If-Range with the current ETag honours the range; a different one sends everything",
    async (port) => {
      const { etag } = await validators(port, "/digits.txt");
      const yes = await get(port, "/digits.txt", { Range: "bytes=0-1", "If-Range": etag });
      assert.equal(yes.status, 206);
      assert.equal(yes.body.toString(), "01");
      const no = await get(port, "/digits.txt", { Range: "bytes=0-1", "If-Range": '"other"' });
      assert.equal(no.status, 200);
      assert.equal(no.body.toString(), DIGITS);
    },
  ],
  [
    "If-Range with the Last-Modified date honours the range; another date sends everything",
    async (port) => {
      const { lastModified } = await validators(port, "/digits.txt");
      assert.equal((await get(port, "/digits.txt", { Range: "bytes=0-1", "If-Range": lastModified })).status, 206);
      assert.equal((await get(port, "/digits.txt", { Range: "bytes=0-1", "If-Range": before1999 })).status, 200);
    },
  ],
  [
    "HEAD with a Range gets the head GET would get (RFC 9110 §9.3.2)",
    async (port) => {
      const res = await get(port, "/digits.txt", { Range: "bytes=0-1" }, "HEAD");
      assert.equal(res.status, 206);
      assert.equal(res.headers["content-range"], "bytes 0-1/10");
      assert.equal(res.body.length, 0);
    },
  ],
  [
    "a range on an empty file serves it whole",
    async (port) => {
      const res = await get(port, "/empty.txt", { Range: "bytes=0-0" });
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 0);
    },
  ],
  [
    "a conditional 304 takes precedence over a range",
    async (port) => {
      const { etag } = await validators(port, "/digits.txt");
      assert.equal((await get(port, "/digits.txt", { Range: "bytes=0-1", "If-None-Match": etag })).status, 304);
    },
  ],
];

describe("portico", () => {
  const server = casesOnPortico(SHARED, { root: site.root });

  test("ETag and Last-Modified are on every file response, cached or streamed", async () => {
    for (const target of ["/hello.txt", "/large.bin", "/empty.txt", "/"]) {
      const res = await get(server.port, target, {}, "HEAD");
      assert.match(res.headers.etag ?? "", /^"[^"]+"$/, target);
      assert.match(res.headers["last-modified"] ?? "", /GMT$/, target);
    }
  });

  test("a 304 carries ETag, Last-Modified, Cache-Control and Vary as the 200 would", async () => {
    for (const target of ["/big.txt", "/large.bin", "/pre.js"]) {
      const full = await get(server.port, target);
      const res = await get(server.port, target, { "If-None-Match": full.headers.etag! });
      assert.equal(res.status, 304);
      for (const name of ["etag", "last-modified", "cache-control", "vary"])
        assert.equal(res.headers[name], full.headers[name], `${target} ${name}`);
    }
    assert.equal((await get(server.port, "/big.txt")).headers.vary, "Accept-Encoding");
  });

  test("If-Modified-Since later than Last-Modified is 304 (RFC 9110 §13.1.3; nginx's default is exact match)", async () => {
    assert.equal(
      (await get(server.port, "/hello.txt", { "If-Modified-Since": new Date(Date.now() + 3600_000).toUTCString() }))
        .status,
      304,
    );
  });

  test("overlapping ranges are coalesced", async () => {
    const res = await get(server.port, "/digits.txt", { Range: "bytes=0-3,2-5" });
    assert.equal(res.status, 206);
    assert.equal(res.headers["content-range"], "bytes 0-5/10");
    assert.equal(res.body.toString(), "012345");
    const three = await get(server.port, "/digits.txt", { Range: "bytes=8-9,0-1,1-2" });
    assert.deepEqual(
      multipartParts(three).map((p) => p.range),
      ["bytes 0-2/10", "bytes 8-9/10"],
    );
  });

  test("too many ranges fall back to the whole file", async () => {
    const many = Array.from({ length: 100 }, (_, i) => `${i % 10}-${i % 10}`).join(",");
    const res = await get(server.port, "/digits.txt", { Range: `bytes=${many}` });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), DIGITS);
  });

  test("invalid range syntax is ignored", async () => {
    for (const value of ["bytes=abc", "bytes=", "bytes=1-x", "bytes 0-1"]) {
      const res = await get(server.port, "/digits.txt", { Range: value });
      assert.equal(res.status, 200, value);
      assert.equal(res.body.toString(), DIGITS);
    }
  });

  test("range requests are answered from the identity representation", async () => {
    const res = await get(server.port, "/big.txt", { Range: "bytes=0-3", "Accept-Encoding": "gzip, br" });
    assert.equal(res.status, 206);
    assert.equal(res.headers["content-encoding"], undefined);
    assert.equal(res.body.toString(), "The ");
    assert.equal(res.headers.vary, "Accept-Encoding");
  });

  test("a weak If-Range never honours the range", async () => {
    const { etag } = await validators(server.port, "/digits.txt");
    assert.equal((await get(server.port, "/digits.txt", { Range: "bytes=0-1", "If-Range": `W/${etag}` })).status, 200);
  });
});

// RFC 9110 §13.1.3 semantics for If-Modified-Since (nginx defaults to an exact match).
casesOnNginx(SHARED, { root: site.root, extra: "if_modified_since before;" });

describe("a file modified in the future", () => {
  let server: RunningServer;
  const dir = makeSite({ "future.txt": "from the future\n" });
  before(async () => {
    fs.utimesSync(path.join(dir, "future.txt"), new Date(Date.UTC(2100, 0, 1)), new Date(Date.UTC(2100, 0, 1)));
    server = await startServer({ args: ["--root", dir, "-t", "1"] });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });
  test("Last-Modified is never later than Date (RFC 9110 §8.8.2.1)", async () => {
    const res = await get(server.port, "/future.txt");
    assert.ok(Date.parse(res.headers["last-modified"]!) <= Date.parse(res.headers.date!));
  });
});
