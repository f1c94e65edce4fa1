// The example configuration (docs/portico.example.toml) made runnable for a benchmark: its
// listeners on one port, both sites' roots the bench's docroot, its upstreams the run's backend, its
// htpasswd file written beside it, no log (the other variants run with --quiet too).

import fs from "node:fs";
import path from "node:path";
import bcrypt from "bcryptjs";

/** Writes portico.toml (and admin.htpasswd) into `dir` and returns the file's path. */
export function writeExampleConfig(repo: string, dir: string, root: string, port: number, upstream: string): string {
  const example = fs.readFileSync(path.join(repo, "docs/portico.example.toml"), "utf8");
  const text = example
    .replace('["127.0.0.1:8080", "127.0.0.1:8081"]', `["127.0.0.1:${port}"]`)
    .replaceAll("127.0.0.1:8080", `127.0.0.1:${port}`)
    .replace("http://127.0.0.1:9001", `http://${upstream}`)
    .replace("http://127.0.0.1:9002", `http://${upstream}`)
    .replace('"sites/shop"', JSON.stringify(root))
    .replace('"sites/blog"', JSON.stringify(root))
    .replace(/\[log\][^[]*/, "");
  fs.writeFileSync(path.join(dir, "admin.htpasswd"), `admin:${bcrypt.hashSync("secret", 5)}\n`);
  const file = path.join(dir, "portico.toml");
  fs.writeFileSync(file, text);
  return file;
}
