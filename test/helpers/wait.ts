// Waiting in tests: a plain delay, and polling for a condition with a generous deadline (a loaded
// machine may be slow, never wrong), so no test asserts on how long something took.

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `condition()` holds, checking every `everyMs`; rejects after `timeoutMs` naming `what`. */
export async function waitFor(
  condition: () => boolean,
  what = "condition",
  { timeoutMs = 10_000, everyMs = 5 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(everyMs);
  }
}
