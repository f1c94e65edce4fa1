// Unit tests for the conditional filter: entity-tag list matching and RFC 9110 §13.2.2 precedence.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  evaluateConditions,
  evaluateIfRange,
  matchesEtagList,
  NOT_MODIFIED,
  PRECONDITION_FAILED,
  PROCEED,
} from "../../../src/http/filters/conditional.ts";

const ETAG = '"abc-1"';
const LM = Date.UTC(2024, 0, 2, 3, 4, 5);
const LM_TEXT = new Date(LM).toUTCString();
const EARLIER = new Date(LM - 60_000).toUTCString();
const LATER = new Date(LM + 60_000).toUTCString();

function evaluate(fields: { im?: string; inm?: string; ims?: string; ius?: string }, getOrHead = true): number {
  return evaluateConditions(getOrHead, fields.im, fields.inm, fields.ims, fields.ius, ETAG, LM);
}

test("weak comparison ignores W/ on either side; strong comparison needs both strong", () => {
  assert.equal(matchesEtagList('W/"abc-1"', ETAG, true), true);
  assert.equal(matchesEtagList('W/"abc-1"', ETAG, false), false);
  assert.equal(matchesEtagList('"abc-1"', 'W/"abc-1"', true), true);
  assert.equal(matchesEtagList('"abc-1"', 'W/"abc-1"', false), false);
});

test("entity-tag lists match any member, with spacing and commas inside tags", () => {
  assert.equal(matchesEtagList('"x", "y" ,"abc-1"', ETAG, true), true);
  assert.equal(matchesEtagList('"a,b", "abc-1"', ETAG, true), true);
  assert.equal(matchesEtagList('"x", "y"', ETAG, true), false);
  assert.equal(matchesEtagList("*", ETAG, false), true);
  assert.equal(matchesEtagList("abc-1", ETAG, true), false, "unquoted tags are malformed");
  assert.equal(matchesEtagList('"abc-1', ETAG, true), false, "unterminated tag");
});

test("no condition fields: proceed", () => {
  assert.equal(evaluate({}), PROCEED);
});

test("If-Match: mismatch or weak tag is 412, match or * proceeds", () => {
  assert.equal(evaluate({ im: '"other"' }), PRECONDITION_FAILED);
  assert.equal(evaluate({ im: 'W/"abc-1"' }), PRECONDITION_FAILED);
  assert.equal(evaluate({ im: ETAG }), PROCEED);
  assert.equal(evaluate({ im: "*" }), PROCEED);
});

test("If-Unmodified-Since: 412 when modified after the date, ignored when If-Match is present or the date is bad", () => {
  assert.equal(evaluate({ ius: EARLIER }), PRECONDITION_FAILED);
  assert.equal(evaluate({ ius: LM_TEXT }), PROCEED);
  assert.equal(evaluate({ ius: LATER }), PROCEED);
  assert.equal(evaluate({ ius: EARLIER, im: ETAG }), PROCEED);
  assert.equal(evaluate({ ius: "yesterday" }), PROCEED);
});

test("If-None-Match: match, weak match or * is 304 for GET/HEAD and 412 otherwise", () => {
  assert.equal(evaluate({ inm: ETAG }), NOT_MODIFIED);
  assert.equal(evaluate({ inm: 'W/"abc-1"' }), NOT_MODIFIED);
  assert.equal(evaluate({ inm: '"x", W/"abc-1"' }), NOT_MODIFIED);
  assert.equal(evaluate({ inm: "*" }), NOT_MODIFIED);
  assert.equal(evaluate({ inm: '"x"' }), PROCEED);
  assert.equal(evaluate({ inm: ETAG }, false), PRECONDITION_FAILED);
});

test("If-Modified-Since: 304 when not modified since, only without If-None-Match and only for GET/HEAD", () => {
  assert.equal(evaluate({ ims: LM_TEXT }), NOT_MODIFIED);
  assert.equal(evaluate({ ims: LATER }), NOT_MODIFIED);
  assert.equal(evaluate({ ims: EARLIER }), PROCEED);
  assert.equal(evaluate({ ims: LM_TEXT, inm: '"x"' }), PROCEED, "If-None-Match present: If-Modified-Since ignored");
  assert.equal(evaluate({ ims: "not a date" }), PROCEED);
  assert.equal(evaluate({ ims: LM_TEXT }, false), PROCEED);
});

test("precedence: a failed If-Match wins over a matching If-None-Match", () => {
  assert.equal(evaluate({ im: '"other"', inm: ETAG }), PRECONDITION_FAILED);
  assert.equal(evaluate({ ius: EARLIER, inm: ETAG }), PRECONDITION_FAILED);
  assert.equal(evaluate({ im: ETAG, inm: ETAG }), NOT_MODIFIED);
});

test("If-Range: strong tag match or exact date allows the range; weak tags, other dates and junk do not", () => {
  assert.equal(evaluateIfRange(ETAG, ETAG, LM), true);
  assert.equal(evaluateIfRange('"other"', ETAG, LM), false);
  assert.equal(evaluateIfRange('W/"abc-1"', ETAG, LM), false);
  assert.equal(evaluateIfRange(LM_TEXT, ETAG, LM), true);
  assert.equal(evaluateIfRange(LATER, ETAG, LM), false);
  assert.equal(evaluateIfRange("junk", ETAG, LM), false);
});
