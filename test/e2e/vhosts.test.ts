// --vhosts: ROOT/HOST/ serves requests for HOST; unknown hosts get the root itself.

import assert from "node:assert/strict";
import { test } from "node:test";
import { exchange, parseResponses } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";

test("each host directory is its own root; other hosts get the default root", async () => {
  const root = makeSite({
    "index.html": "default\n",
    "example.com/index.html": "example\n",
    "localhost/index.html": "local\n",
    "notahost/index.html": "plain dir\n",
  });
  const server = await startServer({ args: ["--root", root, "--vhosts", "-t", "1", "--quiet"] });
  try {
    const body = async (host: string, target = "/"): Promise<string> => {
      const { bytes } = await exchange(
        server.port,
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      return parseResponses(bytes)[0]!.body.toString();
    };
    assert.equal(await body("example.com"), "example\n");
    assert.equal(await body("EXAMPLE.com:8080"), "example\n");
    assert.equal(await body("localhost:1234"), "local\n");
    assert.equal(await body("other.org"), "default\n");
    assert.equal(await body("other.org", "/notahost/"), "plain dir\n");
    // A host's root is a jail of its own: no climbing into the default root.
    assert.equal(await body("example.com", "/../index.html"), "example\n");
  } finally {
    await server.stop();
  }
});
