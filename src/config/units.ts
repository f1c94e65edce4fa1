// One option's value from its human form ("64MiB", "500ms", "true", "a,b") to the typed value the
// option table declares, with its bounds checked. Used for flags and for the keys of a configuration
// file alike, so a value means the same wherever it is written. Pure: no I/O.

import type { OptionSpec } from "./options.ts";

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
  g: 1 << 30,
  gb: 1 << 30,
  gib: 1 << 30,
};
const TIME_UNITS: Readonly<Record<string, number>> = { "": 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A converted value, or the reason the raw one does not fit (a phrase such as `expected a size…`). */
export type Converted =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: string };

const fail = (problem: string): Converted => ({ ok: false, problem });
const ok = (value: unknown): Converted => ({ ok: true, value });

/** Converts one raw value (a flag's text or a file's value) for its option. */
export function convertValue(spec: OptionSpec, raw: unknown): Converted {
  switch (spec.type) {
    case "bool":
      if (typeof raw === "boolean") return ok(raw);
      if (raw === "true") return ok(true);
      if (raw === "false") return ok(false);
      return fail(`expected true or false, got ${show(raw)}`);
    case "string":
      return typeof raw === "string" ? ok(raw) : fail(`expected a string, got ${show(raw)}`);
    case "multi":
      if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return ok(raw);
      if (typeof raw === "string") return ok([raw]);
      return fail(`expected a string or a list of strings, got ${show(raw)}`);
    case "list":
      if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return ok(raw);
      if (typeof raw === "string")
        return ok(
          raw
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== ""),
        );
      return fail(`expected a list of strings, got ${show(raw)}`);
    case "choice":
      if (typeof raw !== "string" || !spec.choices!.includes(raw))
        return fail(`expected one of ${spec.choices!.join(", ")}, got ${show(raw)}`);
      return ok(raw);
    default:
      return convertNumber(spec, raw);
  }
}

function convertNumber(spec: OptionSpec, raw: unknown): Converted {
  let value: number;
  if (typeof raw === "number") {
    if (spec.type === "int" && !Number.isInteger(raw)) return fail(`must be an integer, got ${show(raw)}`);
    value = raw;
  } else if (typeof raw === "string") {
    const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(raw.trim());
    if (m === null || (spec.type === "int" && m[2] !== "") || (spec.type === "int" && m[1]!.includes(".")))
      return fail(`must be ${describe(spec)}, got ${show(raw)}`);
    const unit = m[2]!.toLowerCase();
    const factor = spec.type === "size" ? SIZE_UNITS[unit] : spec.type === "duration" ? TIME_UNITS[unit] : 1;
    if (factor === undefined) return fail(`unknown unit "${m[2]}" in ${show(raw)} (expected ${describe(spec)})`);
    value = Number(m[1]) * factor;
  } else {
    return fail(`must be ${describe(spec)}, got ${show(raw)}`);
  }
  if (!Number.isFinite(value)) return fail(`must be ${describe(spec)}, got ${show(raw)}`);
  value = Math.round(value);
  if (spec.min !== undefined && value < spec.min)
    return fail(`must be at least ${spec.min}${unitOf(spec)}, got ${show(raw)}`);
  if (spec.max !== undefined && value > spec.max)
    return fail(`must be at most ${spec.max}${unitOf(spec)}, got ${show(raw)}`);
  return ok(value);
}

/** The unit a bound is given in: durations are held in milliseconds, sizes in bytes. */
function unitOf(spec: OptionSpec): string {
  return spec.type === "duration" ? "ms" : spec.type === "size" ? " bytes" : "";
}

/** What a value of the option looks like, for messages and the schema's descriptions. */
export function describe(spec: OptionSpec): string {
  if (spec.type === "size") return "a size such as 512, 64k or 16MiB";
  if (spec.type === "duration") return "a duration such as 500ms, 10s or 2m (plain numbers are milliseconds)";
  return "an integer";
}

/** A value as it is quoted in messages: strings in double quotes, everything else as JSON. */
export function show(raw: unknown): string {
  return JSON.stringify(raw) ?? String(raw);
}
