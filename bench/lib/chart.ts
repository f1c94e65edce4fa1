// The results chart: throughput of every server relative to nginx, one group of bars per scenario,
// written as SVG by vega-lite (compiled to a vega view rendered headless in Node; no browser).

import * as vega from "vega";
import * as vl from "vega-lite";
import type { Scenario } from "./scenarios.ts";
import type { Cell } from "./report.ts";

export async function renderChart(scenarios: readonly Scenario[], cells: readonly Cell[], subtitle: string): Promise<string> {
  const names = scenarios.filter((s) => s.kind === "load").map((s) => s.name);
  const values = cells
    .filter((c) => !Number.isNaN(c.ratio) && c.ratio > 0 && names.includes(c.scenario))
    .map((c) => ({ scenario: c.scenario, server: c.server, ratio: Number(c.ratio.toFixed(3)) }));
  const servers = [...new Set(values.map((v) => v.server))];
  const spec: vl.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: "Throughput relative to nginx (1 worker) — higher is better", subtitle },
    width: 640,
    height: { step: 9 },
    data: { values },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          y: { field: "scenario", type: "nominal", sort: names, title: null },
          yOffset: { field: "server", type: "nominal", sort: servers },
          x: { field: "ratio", type: "quantitative", scale: { type: "log", domain: [0.01, 4] }, title: "× nginx (log scale)" },
          color: { field: "server", type: "nominal", sort: servers, title: "server" },
          tooltip: [{ field: "server" }, { field: "ratio" }],
        },
      },
      {
        mark: { type: "text", align: "left", dx: 3, fontSize: 8 },
        encoding: {
          y: { field: "scenario", type: "nominal", sort: names },
          yOffset: { field: "server", type: "nominal", sort: servers },
          x: { field: "ratio", type: "quantitative" },
          text: { field: "ratio", type: "quantitative", format: ".2f" },
        },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#444" },
        encoding: { x: { field: "one", type: "quantitative" } },
      },
    ],
    config: { font: "sans-serif", background: "white" },
  };
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
