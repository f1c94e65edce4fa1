// The package's public entry (`import type { Config } from "portico"`): the types of a validated
// configuration. Only what is listed here is public; everything else under dist/ may change.

export type { BalanceName, Config, ProxyRoute, TcpConfig, UpstreamSpec } from "./config/load.ts";
