// Differential test: the same request bytes go to Portico's parser (in-process, portico-outcome.ts)
// and to Node's own HTTP server (llhttp, strict; node-outcome.ts). Accept/reject and the parsed
// method, target, fields and body must agree, except for the cases in DIFFERENCES, each of which is
// an intentional, RFC-backed difference (also listed in docs/conformance.md).
// Inputs: llhttp's request fixtures (fixtures/, MIT, see fixtures/README.md) plus generated-cases.ts.

import assert from "node:assert/strict";
import fs from "node:fs";
import { after, describe, test } from "node:test";
import { generatedCases } from "./generated-cases.ts";
import { NodeOracle } from "./node-outcome.ts";
import { compareOutcomes, type Outcome } from "./outcome.ts";
import { porticoOutcome } from "./portico-outcome.ts";

const EARLY =
  "Portico judges a head once it is complete and rejects it then (400); this input ends before that, so the connection just closes at EOF. llhttp rejects byte by byte. Both are allowed (RFC 9112 §2.2).";
const FRAGMENT =
  "A fragment is not part of a request-target (RFC 9112 §3.2, RFC 9110 §4.2.5): Portico answers 400; Node passes it on.";
const AFTER_CLOSE =
  "After a request that closes the connection Portico reads no further requests and ignores the rest (RFC 9112 §9.6); llhttp reports the extra bytes as an error.";
const UPGRADE =
  "Portico implements no protocol upgrade and may ignore Upgrade (RFC 9110 §7.8): the bytes that follow are read as HTTP/1.1; Node hands the socket over.";
const HOST =
  "RFC 9112 §3.2: more than one Host field or an invalid Host value is a 400; Node checks only that Host is present.";
const CL_LIST =
  "RFC 9110 §8.6: a Content-Length list or repeated field whose values are all equal may be taken as that one value; Portico does, llhttp rejects it.";
const CODING_501 =
  "RFC 9112 §6.1: a transfer coding the server does not implement (gzip under chunked) is a 501; Node passes the still-coded body on.";

/** case id → why Portico and Node (llhttp) intentionally differ, with the RFC section. */
const DIFFERENCES: Readonly<Record<string, string>> = {
  "llhttp/request/sample.md:432": EARLY,
  "llhttp/request/content-length.md:75": EARLY,
  "llhttp/request/content-length.md:100": EARLY,
  "llhttp/request/content-length.md:493": EARLY,
  "llhttp/request/invalid.md:147": EARLY,
  "llhttp/request/invalid.md:490": EARLY,
  "llhttp/request/invalid.md:509": EARLY,
  "gen/eol/bare-cr-final": EARLY,
  "llhttp/request/method.md:96":
    "CONNECT: Portico has no tunnel (handlers answer 405/501), so a Content-Length body after the head is framed as usual (RFC 9112 §6.3); Node hands the socket over.",
  "llhttp/request/method.md:135":
    "The asterisk-form target is only for OPTIONS (RFC 9112 §3.2.4): M-SEARCH * is a 400.",
  "llhttp/request/uri.md:165": FRAGMENT,
  "llhttp/request/transfer-encoding.md:751": FRAGMENT,
  "llhttp/request/transfer-encoding.md:793": FRAGMENT,
  "llhttp/request/uri.md:222":
    "userinfo in an http(s) target is deprecated and a phishing vector (RFC 9110 §4.2.4): Portico answers 400.",
  "llhttp/request/connection.md:81": AFTER_CLOSE,
  "llhttp/request/connection.md:292": AFTER_CLOSE,
  "llhttp/request/connection.md:342": AFTER_CLOSE,
  "llhttp/request/connection.md:542": UPGRADE,
  "llhttp/request/connection.md:713": UPGRADE,
  "llhttp/request/connection.md:753": UPGRADE,
  "llhttp/request/connection.md:812": UPGRADE,
  "gen/method/lowercase":
    "A method is a case-sensitive token (RFC 9110 §9.1): the parser accepts any token and an unknown method gets 501 from the handler; llhttp rejects methods outside its list.",
  "gen/target/two-spaces-before":
    "request-line = method SP request-target SP HTTP-version (RFC 9112 §3): Portico does not use the lenient whitespace parsing §3 permits.",
  "gen/target/two-spaces-after":
    "request-line = method SP request-target SP HTTP-version (RFC 9112 §3): Portico does not use the lenient whitespace parsing §3 permits.",
  "gen/target/connect-origin-form":
    "CONNECT takes only the authority-form target (RFC 9112 §3.2.3): a path is a 400; Node accepts it.",
  "gen/eol/leading-lf":
    "Only CRLF empty lines before the request line are ignored (RFC 9112 §2.2); a bare LF is a 400 as everywhere in Portico.",
  "gen/content-length/list-equal": CL_LIST,
  "gen/content-length/list-equal-nospace": CL_LIST,
  "gen/content-length/duplicate-equal": CL_LIST,
  "gen/transfer-encoding/chunked-ows":
    "OWS around a field value is not part of it (RFC 9110 §5.5, §5.6.1): ' chunked ' is chunked; llhttp rejects the trailing whitespace.",
  "gen/transfer-encoding/gzip-chunked": CODING_501,
  "gen/transfer-encoding/split-fields": CODING_501,
  "gen/transfer-encoding/http10":
    "RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing: 400 and close; Node accepts it.",
  "gen/chunked/extension-bws":
    "chunk-ext allows BWS around ';' and '=' (RFC 9112 §7.1.1); llhttp rejects the whitespace.",
  "gen/host/duplicate": HOST,
  "gen/host/duplicate-different": HOST,
  "gen/host/space-inside": HOST,
  "gen/host/slash": HOST,
  "gen/host/bad-port": HOST,
  "gen/host/userinfo": HOST,
  "gen/host/unclosed-ipv6": HOST,
};

interface Case {
  readonly id: string;
  readonly bytes: Buffer;
}

interface Fixture {
  id: string;
  tags: string[];
  skip_recommended: boolean;
  raw_request_bytes_base64: string;
  messages: Array<{ start_offset: number }> | null;
}

const FIXTURES = new URL("./fixtures/llhttp_request_cases.jsonl", import.meta.url);

/** Inserts a Host line after each message's request line (most fixtures lack one; RFC 9112 §3.2). */
function withHost(fixture: Fixture): Buffer {
  let buf = Buffer.from(fixture.raw_request_bytes_base64, "base64");
  if (!fixture.tags.includes("http11-missing-host")) return buf;
  const starts = (fixture.messages?.length ? fixture.messages.map((m) => m.start_offset) : [0]).sort((a, b) => b - a);
  for (const start of starts) {
    let i = start;
    while (buf[i] === 0x0d || buf[i] === 0x0a) i++;
    const lf = buf.indexOf(0x0a, i);
    if (lf === -1) continue;
    const eol = buf[lf - 1] === 0x0d ? "\r\n" : "\n";
    buf = Buffer.concat([buf.subarray(0, lf + 1), Buffer.from(`Host: example.com${eol}`), buf.subarray(lf + 1)]);
  }
  return buf;
}

function fixtureCases(): Case[] {
  const lines = fs.readFileSync(FIXTURES, "utf8").trim().split("\n");
  // skip_recommended: lenient modes, RTSP/ICE, llhttp's API and harness quirks, HTTP/0.9 (see README).
  return lines
    .map((l) => JSON.parse(l) as Fixture)
    .filter((f) => !f.skip_recommended)
    .map((f) => ({ id: f.id, bytes: withHost(f) }));
}

const cases: Case[] = [...fixtureCases(), ...generatedCases()];

const oracle = new NodeOracle();
await oracle.start();
const nodeOutcomes = new Map<string, Outcome>();
{
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      nodeOutcomes.set(c.id, await oracle.run(c.bytes));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
after(() => oracle.close());

describe("the differential corpus", () => {
  test("has at least 300 cases with unique ids", () => {
    assert.ok(cases.length >= 300, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
  });

  test("every listed difference names a case and is documented in docs/conformance.md", () => {
    const doc = fs.readFileSync(new URL("../../docs/conformance.md", import.meta.url), "utf8");
    const ids = new Set(cases.map((c) => c.id));
    for (const id of Object.keys(DIFFERENCES)) {
      assert.ok(ids.has(id), `unknown case ${id}`);
      assert.ok(doc.includes(`\`${id}\``), `docs/conformance.md does not list ${id}`);
    }
  });
});

describe("Portico agrees with Node's llhttp", () => {
  for (const c of cases) {
    test(c.id, () => {
      const portico = porticoOutcome(c.bytes);
      const node = nodeOutcomes.get(c.id)!;
      const difference = compareOutcomes(portico, node);
      const reason = DIFFERENCES[c.id];
      if (reason === undefined) {
        assert.equal(difference, "", `unexpected difference for ${JSON.stringify(c.bytes.toString("latin1"))}`);
        return;
      }
      assert.notEqual(difference, "", `listed as a difference but both agree now: remove it (${reason})`);
      if (reason === EARLY) {
        assert.equal(portico.verdict, "incomplete");
        const completed = porticoOutcome(Buffer.concat([c.bytes, Buffer.from("\r\n\r\n")]));
        assert.equal(completed.verdict, "error", "Portico rejects the head once it is complete");
      }
    });
  }
});

describe("Portico parses every split the same as whole", () => {
  // The status must not depend on the split; the error code may (a bare LF found by the incremental
  // scanner before the version check, for instance).
  const summary = (o: Outcome): string => JSON.stringify({ ...o, detail: o.detail.split(" ")[0] });
  test("one cut at every offset, and byte by byte", () => {
    for (const c of cases) {
      const whole = summary(porticoOutcome(c.bytes));
      const limit = Math.min(c.bytes.length, 600);
      for (let cut = 1; cut < limit; cut++) {
        assert.equal(summary(porticoOutcome(c.bytes, [cut])), whole, `${c.id} cut at ${cut}`);
      }
      if (c.bytes.length <= 600) {
        const every = Array.from({ length: c.bytes.length }, (_, i) => i);
        assert.equal(summary(porticoOutcome(c.bytes, every)), whole, `${c.id} byte by byte`);
      }
    }
  });
});
