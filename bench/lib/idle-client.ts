// Opens N keep-alive connections to 127.0.0.1:PORT, completes one GET on each so every connection
// has served a request, then holds them idle until stdin closes. Prints "ready <open>" when done.
// Used by memory.ts as its own process so the bench runner's file descriptors stay few.

import net from "node:net";

const [portText, countText, path = "/1k.txt"] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const BATCH = 200;
const sockets: net.Socket[] = [];
let failed = 0;

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let received = Buffer.alloc(0);
    let expected = -1;
    const done = (ok: boolean): void => {
      socket.removeAllListeners("data");
      if (ok) sockets.push(socket);
      else {
        failed++;
        socket.destroy();
      }
      resolve();
    };
    socket.once("error", () => done(false));
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (expected < 0) {
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) return;
        const m = /content-length:\s*(\d+)/i.exec(received.toString("latin1", 0, end));
        expected = end + 4 + Number(m?.[1] ?? 0);
      }
      if (received.length >= expected) done(true);
    });
  });
}

for (let opened = 0; opened < count; opened += BATCH) {
  const batch: Promise<void>[] = [];
  for (let i = opened; i < Math.min(count, opened + BATCH); i++) batch.push(openOne());
  await Promise.all(batch);
}
for (const s of sockets) s.on("error", () => {});
process.stdout.write(`ready ${sockets.length} ${failed}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
