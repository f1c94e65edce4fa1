// Writes what is generated from the code into the checkout: the README's reference sections (option
// tables, the file's keys, the example). Run `npm run generate` after changing an option, the schema or
// docs/portico.example.toml; test/config/reference.test.ts fails until the README matches. The JSON
// Schema is not committed: scripts/build.ts writes it into dist/ at build time.

import fs from "node:fs";
import { generateReadme } from "../src/config/reference.ts";

const root = new URL("../", import.meta.url);
const readme = new URL("README.md", root);
const example = fs.readFileSync(new URL("docs/portico.example.toml", root), "utf8");
fs.writeFileSync(readme, generateReadme(fs.readFileSync(readme, "utf8"), example));
process.stdout.write("wrote README.md\n");
