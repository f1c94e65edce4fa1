// The package's public entry (`import type { App, ServerModel } from "portico"`): the types of a
// validated configuration (the model every part of Portico codes against) and the application API
// (#18). `Config`, the former name of the validated configuration, is the model too. Only what is
// listed here is public; everything else under dist/ may change.

export type { App, AppInfo } from "./app/types.ts";
export { defineApp } from "./app/types.ts";
export type {
  AppHandlerModel,
  BalanceName,
  FilesHandlerModel,
  HandlerModel,
  ListenerModel,
  MiddlewareModel,
  ProxyHandlerModel,
  RedirectHandlerModel,
  RespondHandlerModel,
  RouteModel,
  ServerModel,
  ServerModel as Config,
  SiteModel,
  UpstreamSpec,
} from "./config/model.ts";
export type { TcpConfig } from "./config/tcp.ts";
