// Unit tests for cors (the Fetch standard's CORS protocol): preflights answered or refused, the
// Access-Control-* fields only for listed origins, Vary: Origin whenever the answer depends on it,
// and the site's own field edits kept underneath.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FieldEdits } from "../../src/http/field-edits.ts";
import { Cors, type CorsOptions } from "../../src/middleware/cors.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

const OPTIONS: CorsOptions = {
  origins: ["https://app.test"],
  methods: ["GET", "PUT"],
  headers: [],
  expose: [],
  credentials: false,
  maxAgeSeconds: 600,
};

/** Runs the middleware, then (when it let the request through) a handler's 200. */
function run(cors: Cors, fields: Record<string, string>, method = "GET") {
  const { req, res, sink } = exchangeFor("/file.txt", fields, method);
  const answered = cors.intercept(req, res);
  if (!answered) res.send(200, ["Content-Type", "text/plain"], "body");
  return { answered, raw: Buffer.concat(sink.writes).toString("latin1"), ...sink.parsed() };
}

describe("simple requests", () => {
  test("a listed origin gets Access-Control-Allow-Origin and Vary: Origin", () => {
    const r = run(new Cors(OPTIONS, null), { Origin: "https://app.test" });
    assert.equal(r.answered, false);
    assert.equal(r.headers["access-control-allow-origin"], "https://app.test");
    assert.equal(r.headers.vary, "Origin");
  });

  test("another origin, or none, gets no CORS field but still Vary: Origin (a cache must not mix them)", () => {
    for (const fields of [{ Origin: "https://evil.test" }, {}] as Record<string, string>[]) {
      const r = run(new Cors(OPTIONS, null), fields);
      assert.equal(r.status, 200);
      assert.equal(r.headers["access-control-allow-origin"], undefined);
      assert.equal(r.headers.vary, "Origin");
    }
  });

  test('"*" without credentials answers every origin with "*" and needs no Vary', () => {
    const r = run(new Cors({ ...OPTIONS, origins: ["*"] }, null), { Origin: "https://anyone.test" });
    assert.equal(r.headers["access-control-allow-origin"], "*");
    assert.equal(r.headers.vary, undefined);
  });

  test('"*" with credentials echoes the origin (a wildcard is not allowed with credentials)', () => {
    const r = run(new Cors({ ...OPTIONS, origins: ["*"], credentials: true }, null), { Origin: "https://x.test" });
    assert.equal(r.headers["access-control-allow-origin"], "https://x.test");
    assert.equal(r.headers["access-control-allow-credentials"], "true");
    assert.equal(r.headers.vary, "Origin");
  });

  test("exposed headers are listed", () => {
    const r = run(new Cors({ ...OPTIONS, expose: ["X-Total", "ETag"] }, null), { Origin: "https://app.test" });
    assert.equal(r.headers["access-control-expose-headers"], "X-Total, ETag");
  });

  test("the site's own edits stay underneath the CORS fields", () => {
    const base = new FieldEdits([["X-Frame-Options", "DENY"]], [], []);
    const cors = new Cors(OPTIONS, base);
    const listed = run(cors, { Origin: "https://app.test" });
    assert.equal(listed.headers["x-frame-options"], "DENY");
    assert.equal(listed.headers["access-control-allow-origin"], "https://app.test");
    const plain = run(cors, {});
    assert.equal(plain.headers["x-frame-options"], "DENY");
    assert.equal(cors.plain.set.length, 1);
  });
});

describe("preflight", () => {
  const preflight = { Origin: "https://app.test", "Access-Control-Request-Method": "PUT" };

  test("from a listed origin: 204 with the allowed methods, max age and the headers asked for", () => {
    const r = run(new Cors(OPTIONS, null), { ...preflight, "Access-Control-Request-Headers": "x-token" }, "OPTIONS");
    assert.equal(r.answered, true);
    assert.equal(r.status, 204);
    assert.equal(r.headers["access-control-allow-origin"], "https://app.test");
    assert.equal(r.headers["access-control-allow-methods"], "GET, PUT");
    assert.equal(r.headers["access-control-max-age"], "600");
    assert.equal(r.headers["access-control-allow-headers"], "x-token");
    // Two Vary lines, which a recipient combines (RFC 9110 §5.3).
    assert.match(r.raw, /\r\nVary: Access-Control-Request-Headers\r\n/);
    assert.match(r.raw, /\r\nVary: Origin\r\n/);
  });

  test("configured request headers are what is allowed, whatever is asked", () => {
    const r = run(
      new Cors({ ...OPTIONS, headers: ["Content-Type"] }, null),
      { ...preflight, "Access-Control-Request-Headers": "x-other" },
      "OPTIONS",
    );
    assert.equal(r.headers["access-control-allow-headers"], "Content-Type");
  });

  test("from another origin: 403 and no CORS field", () => {
    const r = run(new Cors(OPTIONS, null), { ...preflight, Origin: "https://evil.test" }, "OPTIONS");
    assert.equal(r.status, 403);
    assert.equal(r.headers["access-control-allow-origin"], undefined);
  });

  test("an OPTIONS request without Access-Control-Request-Method is no preflight: the handler answers", () => {
    const r = run(new Cors(OPTIONS, null), { Origin: "https://app.test" }, "OPTIONS");
    assert.equal(r.answered, false);
    assert.equal(r.status, 200);
  });
});
