// Fewer glibc malloc arenas for the installed commands: before anything else loads, the process
// replaces itself (process.execve: same PID, arguments and descriptors) with MALLOC_ARENA_MAX=2 in its
// environment, which glibc reads only at start-up. Not here: anything V8 allocates on its own heap.
//
// Why: glibc gives each thread that allocates an arena of its own, and a thread's freed memory stays
// resident in its arena. V8 compiles optimised code on its platform threads, each compile's zone
// memory malloc'd and freed there, so every compiler thread keeps an arena of mostly free pages
// (malloc_info on an idle -t 1 server: 3.6 MiB free of 8.7 MiB in eight arenas). Two arenas: 71.3 →
// 69.9 MiB idle. The request path barely mallocs (per-thread caches serve what it does): callgrind
// counts the same instructions per request either way (bench/RESULTS.md, "Idle memory … session 5").
// MALLOC_ARENA_MAX already set, any value, is left alone: MALLOC_ARENA_MAX=8 restores glibc's default
// for a single core. Only on Linux (musl and other systems ignore the variable: nothing to gain).

/** The arena count the commands ask glibc for. */
export const MALLOC_ARENAS = "2";

/** Re-executes this process under MALLOC_ARENA_MAX unless it is set or cannot be; returns when it does not. */
export function execWithFewerArenas(): void {
  if (process.platform !== "linux" || process.env.MALLOC_ARENA_MAX !== undefined) return;
  if (typeof process.execve !== "function") return;
  const args = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, args, { ...process.env, MALLOC_ARENA_MAX: MALLOC_ARENAS });
  } catch {
    // Newer Node throws where execve(2) fails (older ones abort): run on with glibc's default arenas.
  }
}
