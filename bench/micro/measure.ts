// A tiny timing loop for the micro benchmarks: runs a function in batches for about a second after
// a warm-up and prints nanoseconds per call (median of the batches). No statistics beyond that.

export function measure(name: string, fn: () => unknown, seconds = 1): number {
  const BATCH = 10_000;
  let sink: unknown;
  for (let i = 0; i < BATCH * 5; i++) sink = fn(); // let the JIT settle
  const batches: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) sink = fn();
    batches.push(((performance.now() - t0) * 1e6) / BATCH);
  }
  batches.sort((a, b) => a - b);
  const ns = batches[batches.length >> 1]!;
  process.stdout.write(`${name.padEnd(44)} ${ns.toFixed(1).padStart(8)} ns/op\n`);
  if (sink === Symbol.for("never")) process.stdout.write("");
  return ns;
}
