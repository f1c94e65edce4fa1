// Launcher for the fastify peer of the TechEmpower tests: `node fastify-techempower.ts PORT`. The same
// two routes as techempower-app.ts, written the fastify way (a response schema for /json, as
// TechEmpower's fastify entry has), no logging; node:http adds Date.

import Fastify from "fastify";

const [port] = process.argv.slice(2);
if (port === undefined) {
  process.stderr.write("usage: fastify-techempower.ts PORT\n");
  process.exit(2);
}
const app = Fastify({ logger: false, keepAliveTimeout: 600_000 });
app.get("/plaintext", (_request, reply) => {
  reply.header("Server", "fastify").header("Content-Type", "text/plain").send("Hello, World!");
});
app.get(
  "/json",
  { schema: { response: { 200: { type: "object", properties: { message: { type: "string" } } } } } },
  (_request, reply) => {
    reply.header("Server", "fastify").header("Content-Type", "application/json").send({ message: "Hello, World!" });
  },
);
await app.listen({ port: Number(port), host: "127.0.0.1" });
process.stdout.write(`fastify listening on ${port}\n`);
