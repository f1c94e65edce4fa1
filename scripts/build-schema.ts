// Writes dist/portico.schema.json, the configuration file's JSON Schema for editors, at build time
// (`npm run build`, which `prepare` runs): it is generated from src/config/schema.ts, so it ships in
// the package (exported as `portico/portico.schema.json`) but is never committed.

import fs from "node:fs";
import { schemaText } from "../src/config/reference.ts";

const out = new URL("../dist/portico.schema.json", import.meta.url);
fs.mkdirSync(new URL(".", out), { recursive: true });
fs.writeFileSync(out, schemaText());
