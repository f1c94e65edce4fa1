// The bridge from an app's Response to the engine's, into memory: the fields the engine owns, bodies of
// every kind, Set-Cookie, HEAD, 304 against the app's validators, and what is refused before a byte goes out.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AppResponse } from "../../src/app/fetch-response.ts";
import { sendResponse } from "../../src/app/send-response.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

async function send(value: unknown, target = "/", fields: Record<string, string> = {}, method = "GET") {
  const { req, res, sink } = exchangeFor(target, fields, method);
  await sendResponse(value, req, res);
  assert.ok(sink.finished, "the response was completed");
  const all = Buffer.concat(sink.writes).toString("latin1");
  return { ...sink.parsed(), head: all.slice(0, all.indexOf("\r\n\r\n")), writes: sink.writes.length };
}

test("a string body and its fields leave in one write; framing, Date and Server stay the engine's", async () => {
  const out = await send(
    new AppResponse("hello", {
      headers: { "X-App": "1", "Content-Length": "5", Date: "yesterday", Server: "app", Connection: "close" },
    }),
  );
  assert.equal(out.writes, 1);
  assert.equal(out.status, 200);
  assert.equal(out.body.toString(), "hello");
  assert.equal(out.headers["x-app"], "1");
  assert.equal(out.headers["content-type"], "text/plain;charset=UTF-8");
  assert.equal(out.headers.server, "portico");
  assert.notEqual(out.headers.date, "yesterday");
  assert.equal((out.head.match(/content-length/gi) ?? []).length, 1);
  assert.doesNotMatch(out.head, /connection: close/i);
});

test("bytes, ArrayBuffers and null bodies", async () => {
  assert.equal((await send(new AppResponse(new Uint8Array([1, 2, 3])))).body.length, 3);
  assert.equal((await send(new AppResponse(new Uint16Array([1]).buffer))).body.length, 2);
  const empty = await send(new AppResponse(null, { status: 201 }));
  assert.equal(empty.status, 201);
  assert.equal(empty.headers["content-length"], "0");
});

test("several Set-Cookie fields of a Headers stay apart", async () => {
  const headers = new Headers();
  headers.append("Set-Cookie", "a=1");
  headers.append("Set-Cookie", "b=2");
  const out = await send(new AppResponse("x", { headers }));
  assert.deepEqual(
    out.head.split("\r\n").filter((l) => l.startsWith("set-cookie")),
    ["set-cookie: a=1", "set-cookie: b=2"],
  );
});

test("a real undici Response streams its body, chunked", async () => {
  const out = await send(new Response("from undici", { headers: { "x-real": "yes" } }));
  assert.equal(out.headers["transfer-encoding"], "chunked");
  assert.equal(out.headers["x-real"], "yes");
  assert.match(out.body.toString(), /from undici/);
});

test("a stream with a declared length is sent with it, not chunked", async () => {
  const stream = new Blob(["abcdef"]).stream();
  const out = await send(new AppResponse(stream, { headers: { "content-length": "6" } }));
  assert.equal(out.headers["content-length"], "6");
  assert.equal(out.body.toString(), "abcdef");
});

test("HEAD: a body's length without the body; an emptied GET answer claims no length", async () => {
  const head = await send(new AppResponse("12345"), "/", {}, "HEAD");
  assert.equal(head.headers["content-length"], "5");
  assert.equal(head.body.length, 0);
  const emptied = await send(new AppResponse(null, { headers: { "content-type": "text/plain" } }), "/", {}, "HEAD");
  assert.equal(emptied.headers["content-length"], undefined);
});

test("conditional GETs matching the app's ETag or Last-Modified get 304 without body fields", async () => {
  const tagged = (): AppResponse =>
    new AppResponse("v1", { headers: { ETag: '"v1"', "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT" } });
  const hit = await send(tagged(), "/", { "If-None-Match": 'W/"v1"' });
  assert.equal(hit.status, 304);
  assert.equal(hit.headers.etag, '"v1"');
  assert.equal(hit.headers["content-type"], undefined);
  assert.equal((await send(tagged(), "/", { "If-None-Match": '"v2"' })).status, 200);
  assert.equal((await send(tagged(), "/", { "If-Modified-Since": "Tue, 01 Dec 2026 10:00:00 GMT" })).status, 304);
  // If-None-Match decides alone when present (RFC 9110 §13.2.2).
  const both = await send(tagged(), "/", {
    "If-None-Match": '"v2"',
    "If-Modified-Since": "Tue, 01 Dec 2026 11:00:00 GMT",
  });
  assert.equal(both.status, 200);
  assert.equal((await send(tagged(), "/", { "If-None-Match": '"v1"' }, "POST")).status, 200);
});

test("what cannot be sent is refused before any byte: non-Responses, bad fields, Response.error()", () => {
  for (const value of [{ status: 200 }, "text", new AppResponse("x", { headers: { "a b": "1" } })]) {
    const { req, res, sink } = exchangeFor("/");
    assert.throws(() => sendResponse(value, req, res));
    assert.equal(sink.writes.length, 0);
    assert.equal(res.headersSent, false);
  }
  const { req, res } = exchangeFor("/");
  assert.throws(
    () => sendResponse(new AppResponse("x", { headers: { "x-a": "1\r\nInjected: yes" } }), req, res),
    TypeError,
  );
  assert.throws(() => sendResponse(Response.error(), req, res), /type error/);
});
