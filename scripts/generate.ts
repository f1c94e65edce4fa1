// Writes what is generated from the code into the checkout: the README's reference sections (option
// tables, the file's keys, the example), portico.schema.json and the Content-Type table from mime-db
// (src/static/mime-table.ts). Run `npm run generate` after changing an option, the schema or
// docs/portico.example.toml, or updating mime-db; test/config/reference.test.ts and
// test/static/mime.test.ts fail until the committed files match.

import fs from "node:fs";
import { generateReadme, schemaText } from "../src/config/reference.ts";
import { mimeTableSource } from "./mime-table.ts";

const root = new URL("../", import.meta.url);
const readme = new URL("README.md", root);
const example = fs.readFileSync(new URL("docs/portico.example.toml", root), "utf8");
fs.writeFileSync(readme, generateReadme(fs.readFileSync(readme, "utf8"), example));
fs.writeFileSync(new URL("portico.schema.json", root), schemaText());
fs.writeFileSync(new URL("src/static/mime-table.ts", root), mimeTableSource());
process.stdout.write("wrote README.md, portico.schema.json and src/static/mime-table.ts\n");
