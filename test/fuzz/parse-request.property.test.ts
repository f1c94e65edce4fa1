// Property tests (fast-check) for the request parser and the engine: valid requests parse the same
// whole or split at random points; random mutations of them never throw or hang and end in a valid
// parse, an unfinished head/body, or a 4xx (or 501/505), in-process and through a real connection.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { ChunkedDecoder } from "../../src/http/chunked.ts";
import { DEFAULT_CHUNKED_LIMITS } from "../../src/http/chunked.ts";
import { HttpError } from "../../src/http/errors.ts";
import { DEFAULT_PARSE_LIMITS } from "../../src/http/parse-request.ts";
import { HttpServer } from "../../src/http/server.ts";
import { porticoOutcome } from "../conformance/portico-outcome.ts";
import { exchange } from "../helpers/raw.ts";

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PATH_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@/";

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const fieldValue = fc
  .string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((b) => b !== 0x7f)
      .map((b) => String.fromCharCode(b)),
    maxLength: 40,
  })
  .map((v) => v.trim());
const reservedNames = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "expect",
  "upgrade",
  "te",
  "trailer",
]);
const field = fc.tuple(
  token.filter((n) => !reservedNames.has(n.toLowerCase())),
  fieldValue,
);

interface Model {
  method: string;
  target: string;
  version: "1.0" | "1.1";
  fields: Array<[string, string]>;
  body: string;
  chunked: boolean;
  chunkSizes: number[];
  extensions: boolean;
  trailers: Array<[string, string]>;
}

const model: fc.Arbitrary<Model> = fc.record({
  method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND"),
  target: fc.string({ unit: fc.constantFrom(...PATH_CHARS), maxLength: 30 }).map((p) => `/${p}`),
  version: fc.constantFrom("1.0" as const, "1.1" as const),
  fields: fc.array(field, { maxLength: 8 }),
  body: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)), maxLength: 200 }),
  chunked: fc.boolean(),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
  extensions: fc.boolean(),
  trailers: fc.array(field, { maxLength: 3 }),
});

/** Serializes a model into request bytes (always keep-alive so pipelines continue). */
function serialize(m: Model): Buffer {
  const chunked = m.chunked && m.version === "1.1";
  let head = `${m.method} ${m.target} HTTP/${m.version}\r\nHost: example.com\r\n`;
  if (m.version === "1.0") head += "Connection: keep-alive\r\n";
  for (const [n, v] of m.fields) head += `${n}: ${v}\r\n`;
  let body = "";
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n";
    let pos = 0;
    let k = 0;
    while (pos < m.body.length) {
      const size = Math.min(m.chunkSizes[k++ % m.chunkSizes.length]!, m.body.length - pos);
      body += `${size.toString(16)}${m.extensions ? ';x="a b";y' : ""}\r\n${m.body.slice(pos, pos + size)}\r\n`;
      pos += size;
    }
    body += "0\r\n";
    for (const [n, v] of m.trailers) body += `${n}: ${v}\r\n`;
    body += "\r\n";
  } else if (m.body.length > 0) {
    head += `Content-Length: ${m.body.length}\r\n`;
    body = m.body;
  }
  return Buffer.from(`${head}\r\n${body}`, "latin1");
}

const pipeline = fc.array(model, { minLength: 1, maxLength: 3 });
const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe("valid requests", () => {
  test("parse to what was generated", () => {
    fc.assert(
      fc.property(pipeline, (models) => {
        const outcome = porticoOutcome(Buffer.concat(models.map(serialize)));
        assert.equal(outcome.verdict, "ok", outcome.detail);
        assert.equal(outcome.messages.length, models.length);
        outcome.messages.forEach((msg, i) => {
          const m = models[i]!;
          assert.equal(msg.method, m.method);
          assert.equal(msg.target, m.target);
          assert.equal(msg.body, m.body);
          const sent = msg.headers.filter(
            ([n]) => !["host", "connection", "transfer-encoding", "content-length"].includes(n.toLowerCase()),
          );
          assert.deepEqual(sent, m.fields);
        });
      }),
      { numRuns: 300 },
    );
  });

  test("split at random points parse the same as whole", () => {
    fc.assert(
      fc.property(pipeline, cuts, (models, offsets) => {
        const bytes = Buffer.concat(models.map(serialize));
        const whole = porticoOutcome(bytes);
        const split = porticoOutcome(
          bytes,
          offsets.map((o) => o % (bytes.length + 1)),
        );
        assert.deepEqual(split, whole);
      }),
      { numRuns: 300 },
    );
  });
});

type Mutation =
  | { kind: "replace" | "insert"; at: number; byte: number }
  | { kind: "delete" | "truncate"; at: number }
  | { kind: "duplicate"; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    byte: fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 58, 59, 127, 128, 255, 0x30, 0x41, 0x61),
  }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
);

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case "replace":
        if (b.length > 0) b[at] = m.byte;
        break;
      case "insert":
        b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
        break;
      case "delete":
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
      case "duplicate":
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
    }
  }
  return b;
}

function isAllowedStatus(detail: string): boolean {
  const status = Number(detail.split(" ")[0]);
  return (status >= 400 && status < 500) || status === 501 || status === 505;
}

describe("mutated requests", () => {
  test("never throw and end in a parse, an unfinished message, or a 4xx/501/505", () => {
    fc.assert(
      fc.property(pipeline, fc.array(mutation, { minLength: 1, maxLength: 4 }), cuts, (models, mutations, offsets) => {
        const bytes = mutate(Buffer.concat(models.map(serialize)), mutations);
        const outcome = porticoOutcome(
          bytes,
          offsets.map((o) => o % (bytes.length + 1)),
        );
        if (outcome.verdict === "error") assert.ok(isAllowedStatus(outcome.detail), outcome.detail);
      }),
      { numRuns: 1000 },
    );
  });

  test("the chunked decoder never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (raw, cut) => {
        const buf = Buffer.from(raw);
        const decoder = new ChunkedDecoder();
        const at = buf.length === 0 ? 0 : cut % buf.length;
        for (const [s, e] of [
          [0, at],
          [at, buf.length],
        ] as const) {
          const piece = Buffer.from(buf.subarray(s, e));
          const progress = decoder.decode(piece, 0, piece.length, () => {});
          if (progress instanceof HttpError) {
            assert.ok(progress.status === 400 || progress.status === 413 || progress.status === 431);
            return;
          }
          if (progress.done) return;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("mutated requests through a real connection", () => {
  const server = new HttpServer(
    {
      handle: async (req, res) => {
        const body = await req.readBodyFull(1 << 20);
        res.send(200, [], body);
        return true;
      },
    },
    {
      limits: DEFAULT_PARSE_LIMITS,
      chunkedLimits: DEFAULT_CHUNKED_LIMITS,
      maxBodyBytes: 1 << 20,
      headersTimeoutMs: 300,
      bodyTimeoutMs: 300,
      keepAliveTimeoutMs: 300,
      sendTimeoutMs: 1000,
      lingerMs: 200,
      discardBodyBytes: 65536,
      maxRequestsPerConnection: 0,
      errorDetail: true,
    },
  );
  after(() => server.close(100));

  test("every connection ends with well-formed responses whose statuses are allowed", async () => {
    const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
    await fc.assert(
      fc.asyncProperty(pipeline, fc.array(mutation, { minLength: 1, maxLength: 3 }), async (models, mutations) => {
        const bytes = mutate(Buffer.concat(models.map(serialize)), mutations);
        const { bytes: reply, closed } = await exchange(port, bytes, { end: true, timeoutMs: 3000 });
        assert.equal(closed, true, "the server closes a half-closed connection");
        for (const m of reply.toString("latin1").matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
          const status = Number(m[1]);
          assert.ok(status === 200 || isAllowedStatus(String(status)), `status ${status}`);
        }
      }),
      { numRuns: 60 },
    );
  });
});
