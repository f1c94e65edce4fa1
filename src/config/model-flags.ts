// The command line's one site → the model, the same shape a file gives: --root's files under "/",
// each --proxy prefix a route (files first when --root is given, as nginx's try_files), --app the
// "/" route (files first when --root is given), and --vhosts a site per host-named subdirectory of
// the root, after the default site.

import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "./errors.ts";
import type { KeyPath } from "./locate.ts";
import type { FilesHandlerModel, MiddlewareModel, RouteModel, ServerModel, SiteModel } from "./model.ts";
import {
  appModule,
  assemble,
  buildProxy,
  checkFiles,
  type Fail,
  filesSettings,
  parseCors,
  proxySettings,
  realDirectory,
  type SiteDraft,
} from "./model-parts.ts";
import type { OptionValues } from "./options.ts";
import { parseProxyRoutes } from "./proxy-options.ts";
import { checkAccessLog, checkStatusAllow, normalizeStatusPath, tlsFromFlags } from "./server-options.ts";

const NO_MIDDLEWARE: MiddlewareModel = { headers: null, basicAuth: null, access: null, rateLimit: null, cors: null };

/**
 * --cors: what a file's `cors = { origins = ["*"] }` builds (parseCors), on every route. Any origin
 * without credentials, so `Access-Control-Allow-Origin: *` and no `Vary: Origin` (Fetch standard,
 * "CORS protocol and credentials"): echoing origins with credentials would let every site a developer
 * visits read the server as them. A preflight gets the fields it asks for, for 10 minutes.
 */
const ANY_ORIGIN: MiddlewareModel = {
  ...NO_MIDDLEWARE,
  cors: parseCors(
    { origins: ["*"] },
    600_000,
    (_at, message) => {
      throw new ConfigError(message);
    },
    ["cors"],
  ),
};

/** `values`: every option (defaults with flags laid over); `given`: the keys the command line named. */
export function modelFromFlags(
  values: OptionValues,
  given: ReadonlySet<string>,
  port: number,
  lengthRequiredStatus: 400 | 411,
): ServerModel {
  const fail: Fail = (at: KeyPath, message: string) => {
    throw new ConfigError(`--${String(at[0])}: ${message.replace(/^[a-z_]+:? /, "")}`);
  };
  const server: OptionValues = {
    ...values,
    statusPath: normalizeStatusPath(values.statusPath, (m) => fail(["status-path"], m)),
    statusAllow: checkStatusAllow(values.statusAllow, (m) => fail(["status-allow"], m)),
    accessLog: checkAccessLog(values.accessLog, (m) => fail(["access-log"], m)),
  };
  const tls = tlsFromFlags(values, (m) => {
    throw new ConfigError(m);
  });
  const proxied = parseProxyRoutes(values.proxy);
  const app = values.app === "" ? "" : appModule(path.resolve(values.app), values.app, "app", fail, ["app"]);
  const serveFiles = (proxied.length === 0 && app === "") || given.has("root");
  const root = serveFiles ? realDirectory(values.root, values.root, "root", fail, ["root"]) : null;
  const settings = filesSettings(values);
  checkFiles(settings, (at, m) => fail([at[at.length - 1] === "index" ? "index" : "cache-control"], m), []);
  const files = (dir: string, writable = true): FilesHandlerModel => ({
    kind: "files",
    root: dir,
    settings: writable ? settings : { ...settings, writable: false },
  });
  const route = (p: string, handler: RouteModel["handler"]): RouteModel => ({
    path: p,
    exact: false,
    handler,
    middleware: values.cors ? ANY_ORIGIN : NO_MIDDLEWARE,
    maxBodyBytes: values.maxBodyBytes,
    bodyTimeoutMs: values.bodyTimeoutMs,
  });
  const routes: RouteModel[] = proxied.map((p) =>
    route(
      p.prefix,
      buildProxy(
        p,
        proxySettings(values),
        given.has("hashKey"),
        root === null ? null : files(root, false),
        (at, m) => fail([flagOf(at)], m),
        [],
      ),
    ),
  );
  const proxiesAll = proxied.some((p) => p.prefix === "/");
  if (app !== "") {
    // The app answers what the files and the proxied prefixes leave.
    if (proxiesAll) fail(["app"], "app: --proxy / takes every path, so the app would answer none");
    routes.push(route("/", { kind: "app", module: app, tryFiles: root === null ? null : files(root, false) }));
  } else if (root !== null && !proxiesAll) routes.push(route("/", files(root)));
  const listen = [
    { host: values.host.toLowerCase(), port, name: values.host === "" ? String(port) : `${values.host}:${port}` },
  ];
  const main: SiteModel = { name: "the command line's site", hosts: [], root, routes };
  const drafts: SiteDraft[] = [{ site: main, listen, path: ["root"] }];
  if (values.vhosts && root !== null) {
    for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const name = entry.name.toLowerCase();
      // Named like a host: it contains a dot, or is "localhost".
      if (!name.includes(".") && name !== "localhost") continue;
      const dir = fs.realpathSync(path.join(root, entry.name));
      drafts.push({
        site: { name, hosts: [name], root: dir, routes: [route("/", files(dir))] },
        listen,
        path: ["vhosts"],
      });
    }
  }
  return assemble(server, drafts, lengthRequiredStatus, "", fail, tls);
}

/** The flag behind a proxy key path (buildProxy names file keys). */
function flagOf(at: KeyPath): string {
  const key = String(at[at.length - 1] ?? "proxy");
  return key === "upstreams" ? "proxy" : key.replaceAll("_", "-");
}
