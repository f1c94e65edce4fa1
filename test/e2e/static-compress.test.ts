// Black-box tests of content-coding negotiation: precompressed siblings, on-the-fly br/zstd/gzip for
// compressible types above the size threshold, q-values, Vary, and the exact bytes of each variant.

import assert from "node:assert/strict";
import zlib from "node:zlib";
import { after, before, describe, test } from "node:test";
import { get } from "../helpers/raw.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";
import { BIG_TEXT, makeStaticSite, PRE_JS } from "../helpers/static-site.ts";

const site = makeStaticSite();

function decode(encoding: string | undefined, body: Buffer): string {
  if (encoding === "gzip") return zlib.gunzipSync(body).toString();
  if (encoding === "br") return zlib.brotliDecompressSync(body).toString();
  if (encoding === "zstd") return zlib.zstdDecompressSync(body).toString();
  assert.equal(encoding, undefined);
  return body.toString();
}

describe("compression on (default)", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ args: ["--root", site.root, "-t", "1"] });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test("each coding a client asks for alone is served and decodes to the file", async () => {
    for (const coding of ["gzip", "br", "zstd"]) {
      const res = await get(server.port, "/big.txt", { "Accept-Encoding": coding });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-encoding"], coding);
      assert.equal(res.headers.vary, "Accept-Encoding");
      assert.ok(res.body.length < BIG_TEXT.length);
      assert.equal(res.headers["content-length"], String(res.body.length));
      assert.equal(decode(coding, res.body), BIG_TEXT);
      assert.match(res.headers["content-type"]!, /^text\/plain/);
    }
  });

  test("a compressed variant is made once: repeat requests get identical bytes and ETag", async () => {
    const a = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip" });
    const b = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip" });
    assert.ok(a.body.equals(b.body));
    assert.equal(a.headers.etag, b.headers.etag);
  });

  test("each variant has its own ETag and revalidates to 304", async () => {
    const identity = await get(server.port, "/big.txt");
    const gzip = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip" });
    const br = await get(server.port, "/big.txt", { "Accept-Encoding": "br" });
    assert.equal(new Set([identity.headers.etag, gzip.headers.etag, br.headers.etag]).size, 3);
    const res = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip", "If-None-Match": gzip.headers.etag! });
    assert.equal(res.status, 304);
    assert.equal(res.headers.vary, "Accept-Encoding");
    assert.equal(res.headers.etag, gzip.headers.etag);
  });

  test("the server prefers br, then zstd, then gzip among equal q-values", async () => {
    assert.equal(
      (await get(server.port, "/big.txt", { "Accept-Encoding": "gzip, deflate, br, zstd" })).headers[
        "content-encoding"
      ],
      "br",
    );
    assert.equal(
      (await get(server.port, "/big.txt", { "Accept-Encoding": "gzip, zstd" })).headers["content-encoding"],
      "zstd",
    );
  });

  test("q-values decide, and q=0 excludes", async () => {
    assert.equal(
      (await get(server.port, "/big.txt", { "Accept-Encoding": "br;q=0.2, gzip;q=0.9" })).headers["content-encoding"],
      "gzip",
    );
    assert.equal(
      (await get(server.port, "/big.txt", { "Accept-Encoding": "br;q=0, gzip" })).headers["content-encoding"],
      "gzip",
    );
    const none = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip;q=0, br;q=0, zstd;q=0" });
    assert.equal(none.headers["content-encoding"], undefined);
    assert.equal(none.body.toString(), BIG_TEXT);
    assert.equal(none.headers.vary, "Accept-Encoding");
  });

  test("identity and unknown codings get the identity representation, with Vary", async () => {
    for (const value of ["identity", "deflate", "compress, foo"]) {
      const res = await get(server.port, "/big.txt", { "Accept-Encoding": value });
      assert.equal(res.headers["content-encoding"], undefined, value);
      assert.equal(res.headers.vary, "Accept-Encoding");
    }
    const plain = await get(server.port, "/big.txt");
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.equal(plain.headers.vary, "Accept-Encoding", "Vary even without Accept-Encoding");
  });

  test("files below the threshold and incompressible types are not negotiated (no Vary)", async () => {
    for (const target of ["/hello.txt", "/image.png"]) {
      const res = await get(server.port, target, { "Accept-Encoding": "gzip, br" });
      assert.equal(res.headers["content-encoding"], undefined, target);
      assert.equal(res.headers.vary, undefined, target);
    }
  });

  test("precompressed siblings are served byte for byte", async () => {
    const gz = await get(server.port, "/pre.js", { "Accept-Encoding": "gzip" });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.ok(gz.body.equals(zlib.gzipSync(PRE_JS)), "the .gz file's own bytes");
    assert.match(gz.headers["content-type"]!, /javascript/);
    const br = await get(server.port, "/pre.js", { "Accept-Encoding": "br, gzip" });
    assert.equal(br.headers["content-encoding"], "br");
    assert.ok(br.body.equals(zlib.brotliCompressSync(PRE_JS)));
    const plain = await get(server.port, "/pre.js");
    assert.equal(plain.body.toString(), PRE_JS);
    assert.equal(plain.headers.vary, "Accept-Encoding");
  });

  test("a file with precompressed siblings is offered only in their codings", async () => {
    const res = await get(server.port, "/pre.js", { "Accept-Encoding": "zstd, gzip" });
    assert.equal(
      res.headers["content-encoding"],
      "gzip",
      "no zstd sibling: the gzip sibling, not a zstd made on the fly",
    );
    assert.ok(res.body.equals(zlib.gzipSync(PRE_JS)));
  });

  test("HEAD of a compressed variant has its headers and no body", async () => {
    const full = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip" });
    const head = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip" }, "HEAD");
    assert.equal(head.headers["content-encoding"], "gzip");
    assert.equal(head.headers["content-length"], full.headers["content-length"]);
    assert.equal(head.body.length, 0);
  });
});

describe("--no-compress", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ args: ["--root", site.root, "-t", "1", "--no-compress"] });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test("no on-the-fly compression and no Vary; precompressed siblings still served", async () => {
    const res = await get(server.port, "/big.txt", { "Accept-Encoding": "gzip, br" });
    assert.equal(res.headers["content-encoding"], undefined);
    assert.equal(res.headers.vary, undefined);
    assert.equal(
      (await get(server.port, "/pre.js", { "Accept-Encoding": "gzip" })).headers["content-encoding"],
      "gzip",
    );
  });
});

describe("--compress-min-size", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ args: ["--root", site.root, "-t", "1", "--compress-min-size", "8"] });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test("a lower threshold compresses small text files (when that pays)", async () => {
    const res = await get(server.port, "/hello.txt", { "Accept-Encoding": "gzip" });
    assert.equal(res.headers.vary, "Accept-Encoding");
    assert.equal(decode(res.headers["content-encoding"], res.body), "hello world\n");
  });
});
