// Waiting in tests: a plain delay, and polling for a condition with a generous deadline (a loaded
// machine may be slow, never wrong), so no test asserts on how long something took.

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `condition()` holds (it may be async), checking every `everyMs`; rejects after a
 * generous `timeoutMs` naming `what`, so a broken server cannot hang the suite.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what = "condition",
  { timeoutMs = 10_000, everyMs = 5 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await delay(everyMs);
  }
}
