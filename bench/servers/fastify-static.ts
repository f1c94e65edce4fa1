// Launcher for the @fastify/static peer: `node fastify-static.ts ROOT PORT`. Serves ROOT on
// 127.0.0.1:PORT with precompressed .gz files, no logging; prints one line once listening.

import fastifyStatic from "@fastify/static";
import Fastify from "fastify";

const [root, port] = process.argv.slice(2);
if (root === undefined || port === undefined) {
  process.stderr.write("usage: fastify-static.ts ROOT PORT\n");
  process.exit(2);
}
const app = Fastify({ logger: false, keepAliveTimeout: 600_000 });
await app.register(fastifyStatic, { root, preCompressed: true });
await app.listen({ port: Number(port), host: "127.0.0.1" });
process.stdout.write(`fastify-static listening on ${port}\n`);
