// Which late frames mean what: streams we reset, streams that closed, and a ring that forgets old ends.

import assert from "node:assert/strict";
import { test } from "node:test";
import { RecentStreams } from "../../src/h2/recent-streams.ts";

test("reset and closed streams are told apart, and the oldest are forgotten", () => {
  const recent = new RecentStreams();
  recent.reset(1);
  recent.closed(3);
  assert.deepEqual(
    [recent.wasReset(1), recent.wasClosed(1), recent.wasReset(3), recent.wasClosed(3)],
    [true, false, false, true],
  );
  for (let id = 5; id < 5 + 2 * 64; id += 2) recent.closed(id);
  assert.equal(recent.wasReset(1), false);
  assert.equal(recent.wasClosed(3), false);
  assert.equal(recent.wasClosed(5 + 2 * 63), true);
});
