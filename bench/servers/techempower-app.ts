// The TechEmpower plaintext and JSON tests as one Hono app, served unchanged by `portico --app` and by
// @hono/node-server (hono-node.ts). Their rules: /plaintext answers "Hello, World!" as text/plain,
// /json a {"message":"Hello, World!"} object serialised anew for each request as application/json;
// Server, Date and Content-Length are the server's to add.

import { Hono } from "hono";

const app = new Hono();
app.get("/plaintext", (c) => c.text("Hello, World!", 200, { "Content-Type": "text/plain" }));
app.get("/json", (c) => c.json({ message: "Hello, World!" }));

export default app;
