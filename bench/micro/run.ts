// Runs every micro benchmark in this folder, one after another: `node bench/micro/run.ts`.

await import("./parse-request.ts");
await import("./serialize-head.ts");
await import("./resolve-path.ts");
