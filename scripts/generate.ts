// Writes what is generated from the code into the checkout: the README's reference sections (option
// tables, the file's keys, the example) and the Content-Type table from mime-db
// (src/static/mime-table.ts). Run `npm run generate` after changing an option, the schema or
// docs/portico.example.toml, or updating mime-db; test/config/reference.test.ts and
// test/static/mime.test.ts fail until the committed files match. The JSON Schema is not committed:
// scripts/build-schema.ts writes it into dist/ at build time.

import fs from "node:fs";
import { generateReadme } from "../src/config/reference.ts";
import { mimeTableSource } from "./mime-table.ts";

const root = new URL("../", import.meta.url);
const readme = new URL("README.md", root);
const example = fs.readFileSync(new URL("docs/portico.example.toml", root), "utf8");
fs.writeFileSync(readme, generateReadme(fs.readFileSync(readme, "utf8"), example));
fs.writeFileSync(new URL("src/static/mime-table.ts", root), mimeTableSource());
process.stdout.write("wrote README.md and src/static/mime-table.ts\n");
