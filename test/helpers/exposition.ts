// A strict reader of the Prometheus text exposition format 0.0.4 for tests: it throws on anything
// Prometheus (or promtool check metrics) would refuse — bad names, labels or values, a TYPE after its
// samples, a family split in two, duplicate series, counters not ending in _total, histograms without
// a +Inf bucket, non-cumulative buckets, or a _count that disagrees with le="+Inf".

export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly families: ReadonlyMap<string, { readonly type: string; readonly help: string; readonly series: Series[] }>;
  /** The value of the one series with this name and exactly these labels; throws when there is none. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$/;

export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, { type: string; help: string; series: Series[] }>();
  const seen = new Set<string>();
  let current = "";
  const closed = new Set<string>();
  const family = (name: string): { type: string; help: string; series: Series[] } => {
    let f = families.get(name);
    if (f === undefined) {
      f = { type: "untyped", help: "", series: [] };
      families.set(name, f);
    }
    return f;
  };
  const enter = (name: string): void => {
    if (name === current) return;
    if (closed.has(name)) throw new Error(`family ${name} appears in two places`);
    if (current !== "") closed.add(current);
    current = name;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) continue;
      const [, kind, name = "", rest = ""] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in ${JSON.stringify(line)}`);
      enter(name);
      const f = family(name);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`unknown type in ${JSON.stringify(line)}`);
        if (f.series.length > 0) throw new Error(`TYPE of ${name} after its samples`);
        if (f.type !== "untyped") throw new Error(`second TYPE for ${name}`);
        f.type = rest;
      } else {
        if (f.help !== "") throw new Error(`second HELP for ${name}`);
        if (rest.replace(/\\[\\n]/g, "").includes("\\")) throw new Error(`bad escape in HELP of ${name}`);
        f.help = rest;
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name = "", rawLabels, rawValue = ""] = m;
    const labels = parseLabels(rawLabels ?? "", line);
    const value = parseValue(rawValue, line);
    const base = familyOf(name, families);
    enter(base);
    const f = family(base);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series ${JSON.stringify(line)}`);
    seen.add(key);
    if (f.type === "counter" && name !== base) throw new Error(`counter sample ${name} not named ${base}`);
    if (f.type === "counter" && (!base.endsWith("_total") || value < 0 || Number.isNaN(value)))
      throw new Error(`counter ${base} must end in _total and be >= 0`);
    f.series.push({ name, labels, value });
  }
  for (const [name, f] of families) if (f.type === "histogram") checkHistogram(name, f.series);
  return {
    families,
    value(name, want = {}) {
      for (const f of families.values()) {
        for (const s of f.series) {
          if (s.name !== name) continue;
          const keys = Object.keys(s.labels);
          if (keys.length === Object.keys(want).length && keys.every((k) => s.labels[k] === want[k])) return s.value;
        }
      }
      throw new Error(`no series ${name}${JSON.stringify(want)}`);
    },
  };
}

/** A _bucket/_sum/_count sample belongs to the histogram family it extends, when one was declared. */
function familyOf(name: string, families: ReadonlyMap<string, { type: string }>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return name;
}

function parseLabels(raw: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (raw === "") return labels;
  let rest = raw.slice(1, -1);
  while (rest !== "") {
    const m = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/.exec(rest);
    if (m === null) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    const [all, name = "", value = "", comma] = m;
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`bad label name ${name} in ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in ${line}`);
    labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(all.length);
    if (comma === "" && rest !== "") throw new Error(`labels not separated by commas in ${line}`);
  }
  return labels;
}

function parseValue(raw: string, line: string): number {
  if (raw === "+Inf") return Number.POSITIVE_INFINITY;
  if (raw === "-Inf") return Number.NEGATIVE_INFINITY;
  if (raw === "NaN") return Number.NaN;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(raw)) throw new Error(`bad value in ${JSON.stringify(line)}`);
  return Number(raw);
}

function checkHistogram(name: string, series: readonly Series[]): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of series) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${name}_bucket`) {
      if (le === undefined) throw new Error(`${name}_bucket without le`);
      g.buckets.push([parseValue(le, `le="${le}"`), s.value]);
    } else if (s.name === `${name}_count`) g.count = s.value;
    else if (s.name === `${name}_sum`) g.sum = s.value;
    else throw new Error(`histogram ${name} has a sample ${s.name}`);
  }
  for (const g of groups.values()) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`histogram ${name} lacks _count or _sum`);
    const last = g.buckets[g.buckets.length - 1];
    if (last === undefined || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`histogram ${name} lacks +Inf`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i]![0] <= g.buckets[i - 1]![0]) throw new Error(`histogram ${name}: le not increasing`);
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new Error(`histogram ${name}: buckets not cumulative`);
    }
    if (last[1] !== g.count) throw new Error(`histogram ${name}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}
