// Unit test for the static handler's fault channel: one message per reported fault.

import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { test } from "node:test";
import { reportStaticError, type StaticErrorMessage, staticErrorChannel } from "../../src/static/events.ts";

test("a reported fault is published once on portico:static.error", () => {
  const seen: StaticErrorMessage[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as StaticErrorMessage);
  };
  diagnosticsChannel.subscribe("portico:static.error", listener);
  try {
    const error = Object.assign(new Error("disk on fire"), { code: "EIO" });
    reportStaticError("/a.txt", error);
    assert.deepEqual(seen, [{ path: "/a.txt", error }]);
  } finally {
    diagnosticsChannel.unsubscribe("portico:static.error", listener);
  }
  assert.equal(staticErrorChannel.hasSubscribers, false);
  reportStaticError("/b.txt", new Error("nobody listens")); // must not throw
});
