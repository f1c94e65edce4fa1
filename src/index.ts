// The package's public entry (`import type { App, Config } from "portico"`): the types of a validated
// configuration and the application API (#18). Only what is listed here is public; everything else under
// dist/ may change.

export type { App, AppInfo } from "./app/types.ts";
export { defineApp } from "./app/types.ts";
export type { BalanceName, Config, ProxyRoute, TcpConfig, UpstreamSpec } from "./config/load.ts";
