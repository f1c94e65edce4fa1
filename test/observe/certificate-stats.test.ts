// The served certificates as the status page shows them: where each came from by its place in the
// store (files, then ACME's, then the local CA's), its first name as the label, its validity, and one
// entry per label set.

import assert from "node:assert/strict";
import { test } from "node:test";
import { certificateSnapshot } from "../../src/observe/certificate-stats.ts";
import type { CertificatePair } from "../../src/tls/certificate.ts";

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 11, 4);

function pair(names: string[], keyType = "ec", addresses: string[] = []): CertificatePair {
  return {
    source: "test",
    cert: "",
    key: "",
    names,
    addresses,
    keyType,
    notBefore: NOW - DAY_MS,
    notAfter: NOW + 30 * DAY_MS,
  };
}

test("files first, then ACME's, then the local CA's; the first name (or address) labels each", () => {
  const pairs = [pair(["files.test"]), pair(["a.test"]), pair(["b.test"]), pair([], "ec", ["127.0.0.1"])];
  const snap = certificateSnapshot({ current: () => pairs, files: 1, acme: true, internal: true }, NOW);
  assert.deepEqual(
    snap.map((c) => [c.name, c.source]),
    [
      ["files.test", "file"],
      ["a.test", "acme"],
      ["b.test", "acme"],
      ["127.0.0.1", "internal"],
    ],
  );
  assert.equal(snap[0]!.notAfterSeconds, (NOW + 30 * DAY_MS) / 1000);
  assert.equal(snap[0]!.expiresInSeconds, 30 * 86_400);
  assert.equal(snap[0]!.notBefore, new Date(NOW - DAY_MS).toISOString());
});

test("a second certificate with the same name, key type and source is left out; another key type is not", () => {
  const pairs = [pair(["x.test"], "ec"), pair(["x.test"], "rsa"), pair(["x.test", "y.test"], "ec")];
  const snap = certificateSnapshot({ current: () => pairs, files: 3, acme: false, internal: false }, NOW);
  assert.deepEqual(
    snap.map((c) => [c.name, c.keyType]),
    [
      ["x.test", "ec"],
      ["x.test", "rsa"],
    ],
  );
  assert.deepEqual(certificateSnapshot(undefined), []);
});
