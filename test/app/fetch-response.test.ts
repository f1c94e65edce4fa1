// The lightweight Response: standard behaviour (validation, default Content-Type, instanceof, statics),
// and a real undici Response behind it once something only a real one has is asked for.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AppResponse, type ResponseParts } from "../../src/app/fetch-response.ts";

const NativeResponse = globalThis.Response;

test("it keeps body and init as given, and is instanceof Response like undici's own", () => {
  const response = new AppResponse("hi", { status: 201, headers: { "X-A": "1" } });
  const parts: ResponseParts = { status: 0, body: null, init: undefined, headers: null };
  assert.equal(AppResponse.parts(response, parts), true);
  assert.deepEqual(parts, { status: 201, body: "hi", init: { "X-A": "1" }, headers: null });
  assert.ok(response instanceof NativeResponse);
  assert.ok(new NativeResponse("x") instanceof AppResponse);
  assert.equal(response.ok, true);
  assert.equal(response.type, "default");
});

test("status and body are validated as the constructor of the standard does", () => {
  assert.throws(() => new AppResponse("x", { status: 99 }), RangeError);
  assert.throws(() => new AppResponse("x", { status: 600 }), RangeError);
  assert.throws(() => new AppResponse("x", { status: 204 }), TypeError);
  assert.throws(() => new AppResponse(null, { statusText: "bad\nreason" }), TypeError);
  assert.equal(new AppResponse(null, { status: 204 }).status, 204);
});

test("headers carry the Content-Type fetch gives the body when the app named none", () => {
  assert.equal(new AppResponse("text").headers.get("content-type"), "text/plain;charset=UTF-8");
  assert.equal(new AppResponse(new Blob(["b"], { type: "image/png" })).headers.get("content-type"), "image/png");
  assert.equal(new AppResponse("x", { headers: { "Content-Type": "a/b" } }).headers.get("content-type"), "a/b");
  assert.equal(new AppResponse(new Uint8Array(1)).headers.get("content-type"), null);
});

test("reading the body makes a real Response with the same fields, changes to headers included", async () => {
  const response = new AppResponse("body", { status: 202, statusText: "Later", headers: [["x-b", "2"]] });
  response.headers.set("x-c", "3");
  assert.equal(await response.text(), "body");
  assert.equal(response.bodyUsed, true);
  assert.equal(response.status, 202);
  assert.equal(response.statusText, "Later");
  assert.equal(response.headers.get("x-c"), "3");
  const parts: ResponseParts = { status: 0, body: null, init: undefined, headers: null };
  assert.equal(AppResponse.parts(response, parts), false);
  assert.equal(AppResponse.toNative(response).headers.get("x-b"), "2");
  const cloned = new AppResponse("again").clone();
  assert.equal(await cloned.text(), "again");
});

test("Response.json sets application/json unless told otherwise; error() and redirect() are undici's", async () => {
  const json = AppResponse.json({ a: 1 }, { status: 400 });
  assert.equal(json.status, 400);
  assert.equal(json.headers.get("content-type"), "application/json");
  assert.deepEqual(await json.json(), { a: 1 });
  assert.equal(AppResponse.json(1, { headers: { "content-type": "x/y" } }).headers.get("content-type"), "x/y");
  assert.throws(() => AppResponse.json(undefined), TypeError);
  const statics = AppResponse as unknown as typeof Response;
  assert.equal(statics.error().type, "error");
  assert.equal(statics.redirect("http://a.test/", 301).headers.get("location"), "http://a.test/");
});
