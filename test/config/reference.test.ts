// The README's reference sections are generated from the option table and the schema (npm run
// generate): these tests fail when they are stale or a section lost its markers. The JSON Schema is
// built into dist/ (scripts/build.ts); here, that what it is built from is a usable schema.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { generateReadme, SECTIONS, schemaText } from "../../src/config/reference.ts";
import { OPTIONS } from "../../src/config/options.ts";

const root = new URL("../../", import.meta.url);
const readme = fs.readFileSync(new URL("README.md", root), "utf8");
const example = fs.readFileSync(new URL("docs/portico.example.toml", root), "utf8");

test("the README holds exactly what the generator writes (run npm run generate)", () => {
  assert.equal(generateReadme(readme, example), readme);
});

test("the shipped JSON Schema describes the file's top-level keys, sites and routes", () => {
  const schema = JSON.parse(schemaText()) as {
    $schema?: string;
    properties: Record<string, { items?: { properties?: Record<string, unknown> } }>;
  };
  assert.match(schema.$schema ?? "", /json-schema\.org/);
  for (const key of ["threads", "log", "site"]) assert.ok(key in schema.properties, key);
  const site = schema.properties.site?.items?.properties ?? {};
  for (const key of ["hosts", "listen", "root", "route"]) assert.ok(key in site, `site.${key}`);
});

test("every generated section has its markers in the README, once", () => {
  for (const { name } of SECTIONS) {
    assert.equal(readme.split(`<!-- generated: ${name} `).length, 2, name);
    assert.equal(readme.split(`<!-- end: ${name} -->`).length, 2, name);
  }
});

test("every flag is in one of the README's option tables", () => {
  for (const spec of OPTIONS) assert.ok(readme.includes(`--${spec.flag}`), spec.flag);
});

test("the README's example is the example file, which the e2e test runs", () => {
  assert.ok(readme.includes(example.trim()));
});

test("a README without a section's markers is refused rather than left without it", () => {
  assert.throws(() => generateReadme("# nothing here\n", example), /lacks the markers of the "example" section/);
});
