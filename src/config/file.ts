// Reads a configuration file: TOML (smol-toml) or JSON (by the `.json` extension), checked against the
// schema; the first problem (in file order) becomes one line naming the file, line and key, with a
// "did you mean" for a mistyped key. The parser runs here, at configuration time only.

import fs from "node:fs";
import path from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import type * as z from "zod";
import { ConfigError } from "./errors.ts";
import { type KeyLines, type KeyPath, locateJson, locateToml } from "./locate.ts";
import { FILE_SCHEMA, type FileData, KEYS_BY_TABLE } from "./schema.ts";
import { closest } from "./suggest.ts";
import { show } from "./units.ts";

export interface ConfigFile {
  /** As named in messages: the path the user gave. */
  readonly name: string;
  /** Absolute path. */
  readonly path: string;
  /** Relative paths in the file are relative to this directory. */
  readonly dir: string;
  readonly data: FileData;
  readonly lines: KeyLines;
}

export function readConfigFile(name: string): ConfigFile {
  const absolute = path.resolve(name);
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw ConfigError.at(name, 0, code === "ENOENT" ? "no such file" : `cannot read: ${(error as Error).message}`);
  }
  return parseConfigText(name, absolute, text);
}

export function parseConfigText(name: string, absolute: string, text: string): ConfigFile {
  const json = absolute.endsWith(".json");
  let raw: unknown;
  try {
    raw = json ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const message = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw ConfigError.at(name, error.line, `invalid TOML: ${message}`);
    }
    throw ConfigError.at(name, jsonErrorLine(text, error as Error), `invalid JSON: ${(error as Error).message}`);
  }
  const lines = json ? locateJson(text) : locateToml(text);
  const result = FILE_SCHEMA.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => describeIssue(issue, lines));
    problems.sort((a, b) => a.line - b.line);
    const first = problems[0]!;
    throw ConfigError.at(name, first.line, first.message);
  }
  return { name, path: absolute, dir: path.dirname(absolute), data: result.data, lines };
}

/** Unknown keys first: a misspelt key is the cause of the "required" problem beside it. */
function rank(issue: z.core.$ZodIssue): number {
  return issue.code === "unrecognized_keys" ? 0 : 1;
}

/** The table a path points into, without indexes: ["site", 0, "route", 2] → "site.route". */
export function tableName(path: KeyPath): string {
  return path.filter((p) => typeof p === "string").join(".");
}

function describeIssue(issue: z.core.$ZodIssue, lines: KeyLines): { line: number; message: string }[] {
  const path = issue.path as KeyPath;
  if (issue.code === "invalid_union") {
    // A value of the type one branch takes ({ modul = … } where a path or a table is allowed) is
    // judged by that branch alone, so an unknown key is named as such, with a guess. A table or list
    // is not of the type of a branch of names ("acme" | "internal") either.
    const table = typeof (issue as { input?: unknown }).input === "object";
    const taking = issue.errors.filter(
      (branch) =>
        !branch.some(
          (i) => i.path.length === 0 && (i.code === "invalid_type" || (i.code === "invalid_value" && table)),
        ),
    );
    if (taking.length === 1) {
      const inner = [...taking[0]!].sort((a, b) => rank(a) - rank(b));
      return inner.flatMap((i) => describeIssue({ ...i, path: [...path, ...i.path] } as z.core.$ZodIssue, lines));
    }
  }
  if (issue.code === "unrecognized_keys") {
    const table = tableName(path);
    const known = KEYS_BY_TABLE[table] ?? [];
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      const where = table === "" ? "at the top level" : `in ${table}`;
      return {
        line: lines.lineOf([...path, key]),
        message: `unknown key "${key}" ${where}${guess === null ? "" : ` (did you mean "${guess}"?)`}`,
      };
    });
  }
  const name = nameOf(path);
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? "nothing" : show(input);
  const message =
    input === undefined && issue.code === "invalid_type"
      ? `${name} is required`
      : `${name} ${issue.message.startsWith("must") ? issue.message : `must be valid: ${issue.message}`}, got ${got}`;
  return [{ line: lines.lineOf(path), message }];
}

/** How a message names the key at `path`: its last name, with the element index for list items. */
function nameOf(path: KeyPath): string {
  const last = path[path.length - 1];
  if (typeof last === "number") return `${String(path[path.length - 2] ?? "item")}[${last}]`;
  return last === undefined ? "the file" : String(last);
}

function jsonErrorLine(text: string, error: Error): number {
  const m = /position (\d+)/.exec(error.message);
  if (m === null) return 0;
  return text.slice(0, Number(m[1])).split("\n").length;
}
