#!/usr/bin/env node
// The installed `portico` command: checks that this Node can run Portico, then loads the CLI. Plain
// syntax and no static import, so an older Node parses this far and gets one line instead of a trace.

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  process.stderr.write(`portico: needs Node.js 22.15 or newer (this is v${process.versions.node})\n`);
  process.exit(1);
}
// Then under fewer malloc arenas (runtime/malloc-arenas.ts: the process replaces itself once).
import("../runtime/malloc-arenas.ts").then((arenas) => {
  arenas.execWithFewerArenas();
  return import("../cli.ts");
});
