// Temporary upload files left by a killed server are swept, end to end: after kill -9 during a PUT,
// at the next start; in a directory a write touches for the first time; and never a file that a live
// Portico sharing the root is still writing.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { SELF, startFromStat } from "../../src/static/upload-files.ts";
import { parseResponses } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";

const LINUX = process.platform === "linux" && fs.existsSync("/proc/self/stat");

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function leftovers(dir: string, base: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith(`.${base}.`) && n.endsWith(".portico-upload"));
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(50);
  }
}

/** Starts a PUT of `total` bytes and sends the first `sent` of them; resolves once they are on disk. */
async function startUpload(
  port: number,
  dir: string,
  name: string,
  total: number,
  sent: number,
): Promise<{ socket: net.Socket; response: Promise<Buffer> }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await new Promise((r) => socket.once("connect", r));
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.on("error", () => undefined);
  const response = new Promise<Buffer>((resolve) => socket.once("close", () => resolve(Buffer.concat(chunks))));
  socket.write(`PUT /${name} HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
  socket.write(Buffer.alloc(sent, 0x61));
  await until(
    () => leftovers(dir, name).some((n) => fs.statSync(path.join(dir, n)).size === sent),
    "the partial upload is on disk",
  );
  return { socket, response };
}

/** A temporary name as a process that has exited would have left it. */
async function deadWritersName(base: string): Promise<string> {
  const child = spawn("sleep", ["5"]);
  const start = startFromStat(fs.readFileSync(`/proc/${child.pid}/stat`, "latin1"))!;
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  return `.${base}.0badf00d-${child.pid}-1-${start}-${SELF.host}.portico-upload`;
}

test("a PUT in flight when the server is killed leaves no temporary file once it runs again", async () => {
  const root = makeSite({});
  const first = await startServer({ args: ["--root", root, "-t", "1", "--writable"] });
  await startUpload(first.port, root, "t.bin", 10_000_000, 1_000_000);
  first.child.kill("SIGKILL");
  await first.stop();
  assert.equal(leftovers(root, "t.bin").length, 1, "kill -9 left the partial upload");
  const second = await startServer({ args: ["--root", root, "-t", "1", "--writable"] });
  try {
    await until(() => leftovers(root, "t.bin").length === 0, "the leftover is swept");
    await until(() => second.stdout().includes("removed 1 temporary upload file(s)"), "the sweep is reported");
  } finally {
    await second.stop();
  }
});

test("a live Portico's upload survives another Portico starting on the same root", {
  skip: LINUX ? false : "needs /proc",
}, async () => {
  const root = makeSite({});
  const writer = await startServer({ args: ["--root", root, "-t", "1", "--writable"] });
  const other = { stop: async (): Promise<unknown> => undefined, stdout: (): string => "" };
  try {
    const upload = await startUpload(writer.port, root, "big.bin", 200_000, 100_000);
    // Beside it, a file a dead process left: its removal shows the second server's sweep has run.
    const dead = await deadWritersName("dead.bin");
    fs.writeFileSync(path.join(root, dead), "x");
    const second = await startServer({ args: ["--root", root, "-t", "2", "--writable"] });
    Object.assign(other, second);
    await until(() => !fs.existsSync(path.join(root, dead)), "the dead process's file is swept");
    assert.equal(leftovers(root, "big.bin").length, 1, "the live upload's file is still there");
    upload.socket.end(Buffer.alloc(100_000, 0x61));
    const [res] = parseResponses(await upload.response);
    assert.equal(res!.status, 201);
    assert.equal(fs.readFileSync(path.join(root, "big.bin")).length, 200_000);
    assert.deepEqual(leftovers(root, "big.bin"), []);
  } finally {
    await writer.stop();
    await other.stop();
  }
});

test("the first write into a directory sweeps what a dead process left there", {
  skip: LINUX ? false : "needs /proc",
}, async () => {
  const root = makeSite({ "sub/keep.txt": "k" });
  const server = await startServer({ args: ["--root", root, "-t", "1", "--writable"] });
  try {
    // Left after the start-up sweep (as by another Portico killed meanwhile).
    await delay(300);
    const dead = await deadWritersName("x.bin");
    fs.writeFileSync(path.join(root, "sub", dead), "partial");
    const socket = net.connect({ port: server.port, host: "127.0.0.1" });
    await new Promise((r) => socket.once("connect", r));
    socket.resume();
    socket.end("PUT /sub/new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
    await new Promise((r) => socket.once("close", r));
    await until(() => !fs.existsSync(path.join(root, "sub", dead)), "the leftover in sub/ is swept");
    assert.equal(fs.readFileSync(path.join(root, "sub", "new.txt"), "utf8"), "ok");
    assert.equal(fs.readFileSync(path.join(root, "sub", "keep.txt"), "utf8"), "k");
  } finally {
    await server.stop();
  }
});
