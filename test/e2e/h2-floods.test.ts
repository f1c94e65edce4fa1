// The known HTTP/2 attacks against the real server, each reproduced by a raw frame client while an
// ordinary client keeps asking for a file on its own connection: the attacker is cut short (GOAWAY
// ENHANCE_YOUR_CALM and the connection closed, or a 431, or a reset) and the ordinary client is served
// throughout. Rapid reset (CVE-2023-44487), CONTINUATION flood (CVE-2024-27316), HPACK bomb, SETTINGS,
// PING and empty-frame floods (CVE-2019-9512/9515/9518), a zero window held forever.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  CONTINUATION,
  DATA,
  data,
  END_HEADERS,
  END_STREAM,
  encodeFields,
  frame,
  H2Client,
  headers,
  indexed,
  indexedLiteral,
  ping,
  request,
  requestFields,
  rst,
  settings,
  wideOpen,
} from "../helpers/h2.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

const ENHANCE_YOUR_CALM = 0xb;
const CANCEL = 0x8;
const site = makeSite({ "a.txt": "ordinary\n", "big.bin": Buffer.alloc(4 * 1024 * 1024, 7) });
let server: RunningServer;

before(async () => {
  server = await startServer({ args: ["--root", site, "-t", "1", "--h2c", "--send-timeout", "2s"] });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

/** An ordinary client asking for a file over and over until told to stop; resolves with its count. */
function ordinaryClient(): { stop(): Promise<number> } {
  let running = true;
  const done = (async (): Promise<number> => {
    const client = await H2Client.connect(server.port, { settings: wideOpen() });
    let served = 0;
    for (let id = 1; running; id += 2) {
      const res = await client.get(id, "/a.txt", [], 20_000);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "ordinary\n");
      served++;
    }
    client.close();
    return served;
  })();
  return {
    async stop() {
      running = false;
      return done;
    },
  };
}

/**
 * Sends `batch()` until the server answers GOAWAY or closes, then waits for the close; returns the
 * GOAWAY's code. (How many frames the server took before it acted is the unit tests' business:
 * here the client's own pace decides how many it sends meanwhile.)
 */
async function flood(client: H2Client, batch: () => Buffer[], maxRounds = 5000): Promise<number | undefined> {
  for (let round = 0; round < maxRounds; round++) {
    if (client.log.closed || client.log.goaway() !== undefined) break;
    client.send(...batch());
    // Let the server answer now and then, as a real attacker's pipe would.
    if (round % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  await client.log.until(() => client.log.closed, 20_000, "the server to close the connection");
  return client.log.goaway()?.code;
}

/** Runs `attack` while an ordinary client is served; the ordinary client must have been served. */
async function whileServing(attack: () => Promise<void>): Promise<void> {
  const ordinary = ordinaryClient();
  try {
    await attack();
  } finally {
    assert.ok((await ordinary.stop()) > 0);
  }
}

test("rapid reset (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM, the connection closed, others served", async () => {
  await whileServing(async () => {
    const attacker = await H2Client.connect(server.port);
    let id = 1;
    const code = await flood(attacker, () => {
      const frames: Buffer[] = [];
      for (let i = 0; i < 50; i++, id += 2) frames.push(request(id, "/big.bin"), rst(id, CANCEL));
      return frames;
    });
    assert.equal(code, ENHANCE_YOUR_CALM);
  });
});

test("CONTINUATION flood (CVE-2024-27316): GOAWAY ENHANCE_YOUR_CALM, others served", async () => {
  await whileServing(async () => {
    const attacker = await H2Client.connect(server.port);
    const block = encodeFields(requestFields("/a.txt", [["x-filler", "y".repeat(100)]]));
    attacker.send(headers(1, block.subarray(0, 20), END_STREAM));
    const code = await flood(attacker, () => [
      frame(CONTINUATION, 0, 1, Buffer.alloc(0)),
      frame(CONTINUATION, 0, 1, block.subarray(0, 1)),
    ]);
    assert.equal(code, ENHANCE_YOUR_CALM);
  });
});

test("HPACK bomb: a small block that expands past the limit is a 431, and the connection is still good", async () => {
  const attacker = await H2Client.connect(server.port);
  const entry = indexedLiteral("x-bomb", "b".repeat(4000));
  const refs = Buffer.alloc(4000, indexed(62)[0]!);
  const block = Buffer.concat([entry, encodeFields(requestFields("/a.txt")), refs]);
  assert.ok(block.length < 9000, "about 8 KiB on the wire for 16 MB of fields");
  for (let id = 1; id < 40; id += 2)
    attacker.send(headers(id, id === 1 ? block : Buffer.concat([encodeFields(requestFields("/a.txt")), refs])));
  const last = await attacker.log.until(() => attacker.log.response(39), 20_000, "the last bomb's answer");
  assert.equal(last.status, 431);
  const fine = await attacker.get(41, "/a.txt");
  assert.equal(fine.status, 200);
  attacker.close();
});

for (const [name, make] of [
  ["SETTINGS", () => settings([[0x4, 65_535]])],
  ["PING", () => ping()],
  ["empty DATA", () => data(1, "")],
  ["empty HEADERS/CONTINUATION", () => frame(0xfd, 0, 0)],
] as const) {
  test(`${name} flood: GOAWAY ENHANCE_YOUR_CALM, others served`, async () => {
    await whileServing(async () => {
      const attacker = await H2Client.connect(server.port);
      // A stream for the DATA frames to land on: a POST is refused (405) but its body keeps coming.
      attacker.send(headers(1, encodeFields(requestFields("/a.txt", [], "POST")), END_HEADERS));
      assert.equal(await flood(attacker, () => Array.from({ length: 100 }, make)), ENHANCE_YOUR_CALM);
    });
  });
}

test("a client that pings without reading is cut too: its answers are never allowed to pile up", async () => {
  const attacker = await H2Client.connect(server.port);
  attacker.socket.pause();
  for (let i = 0; i < 400 && !attacker.socket.destroyed; i++)
    attacker.send(...Array.from({ length: 50 }, () => ping()));
  attacker.socket.resume();
  await attacker.log.until(() => attacker.log.closed, 20_000, "the connection to close");
  assert.equal(attacker.log.goaway()?.code, ENHANCE_YOUR_CALM);
});

test("a zero window held forever: the stream is reset after the send timeout, the connection lives on", async () => {
  const attacker = await H2Client.connect(server.port, { settings: settings([[0x4, 0]]) });
  attacker.send(request(1, "/big.bin"));
  const code = await attacker.log.until(() => attacker.log.resetCode(1), 20_000, "the stalled stream's reset");
  assert.equal(code, CANCEL);
  assert.equal(attacker.log.frames.filter((f) => f.type === DATA && f.stream === 1).length, 0);
  attacker.send(settings([[0x4, 65_535]]));
  const fine = await attacker.get(3, "/a.txt");
  assert.equal(fine.status, 200);
  attacker.close();
});
