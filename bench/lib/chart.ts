// The results chart: each server relative to nginx (nginx proxy_pass in the proxy scenario), one group
// of bars per scenario, by throughput (left) and by server CPU per request (right, steadier on a shared
// machine). Written as SVG by vega-lite, compiled to a vega view rendered headless in Node; no browser,
// no hand-built SVG.

import * as vega from "vega";
import * as vl from "vega-lite";
import type { Cell } from "./report.ts";
import type { Scenario } from "./scenarios.ts";

type Panel = NonNullable<Extract<vl.TopLevelSpec, { hconcat: unknown }>["hconcat"]>[number];

function panel(
  field: "ratio" | "cpuRatio",
  title: string,
  names: readonly string[],
  servers: readonly string[],
): Panel {
  const y = { field: "scenario", type: "nominal", sort: [...names], title: null } as const;
  const yOffset = { field: "server", type: "nominal", sort: [...servers] } as const;
  return {
    title,
    width: 360,
    height: { step: 8 },
    layer: [
      {
        transform: [{ filter: `datum.${field} > 0` }],
        mark: { type: "bar" },
        encoding: {
          y,
          yOffset,
          x: {
            field,
            type: "quantitative",
            scale: { type: "log", domain: [0.01, 4], clamp: true },
            title: "× nginx (log scale)",
          },
          // Twenty colours: the full run has more servers than the default scheme's ten.
          color: {
            field: "server",
            type: "nominal",
            sort: [...servers],
            title: "server",
            scale: { scheme: "tableau20" },
          },
        },
      },
      {
        transform: [{ filter: `datum.${field} > 0` }],
        mark: { type: "text", align: "left", dx: 2, fontSize: 7 },
        encoding: {
          y,
          yOffset,
          x: { field, type: "quantitative" },
          text: { field, type: "quantitative", format: ".2f" },
        },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#444" },
        encoding: { x: { field: "one", type: "quantitative" } },
      },
    ],
  };
}

export async function renderChart(
  scenarios: readonly Scenario[],
  cells: readonly Cell[],
  subtitle: string,
): Promise<string> {
  const names = scenarios.filter((s) => s.kind === "load").map((s) => s.name);
  const values = cells
    .filter((c) => names.includes(c.scenario))
    .map((c) => ({
      scenario: c.scenario,
      server: c.server,
      ratio: Number.isNaN(c.ratio) ? 0 : Number(c.ratio.toFixed(3)),
      cpuRatio: Number.isNaN(c.cpuRatio) ? 0 : Number(c.cpuRatio.toFixed(3)),
    }));
  const servers = [...new Set(values.map((v) => v.server))];
  const spec: vl.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "Relative to nginx (1 worker; proxy: nginx proxy_pass) — higher is better; dashed line = nginx",
      subtitle,
    },
    data: { values },
    hconcat: [
      panel("ratio", "Throughput (req/s, or bytes/s for large files)", names, servers),
      panel("cpuRatio", "Efficiency (nginx CPU per request ÷ server's)", names, servers),
    ],
    config: { font: "sans-serif", background: "white" },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
