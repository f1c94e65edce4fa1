// The app modules (src/app/) of a worker thread's configurations, loaded before a configuration is
// built. A module whose file is unchanged (same modification time and size) is reused across reloads;
// a changed one is imported again under a new URL (`?v=N`), since a reload keeps the thread and Node
// caches modules by URL. Modules the app itself imports are cached by Node and not imported again.
// The app code itself (app/load.ts, app/handler.ts) is imported only when a route names an app: its
// fetch classes bring undici, 2.3 MiB of heap a thread.

import fs from "node:fs";
import type { ServerModel } from "../config/model.ts";
import type { App } from "../app/types.ts";
import type { Handler } from "../http/handler.ts";

/** An app that could not be loaded; the supervisor reports it as such (code APP_LOAD). */
export class AppLoadFailure extends Error {
  readonly code = "APP_LOAD";
}

interface Loaded {
  readonly stamp: string;
  readonly app: App;
}

export class AppModules {
  readonly #loaded = new Map<string, Loaded>();
  #version = 0;

  /** The model's app handlers by module path (none without app routes); throws as load() does. */
  async handlers(model: ServerModel): Promise<ReadonlyMap<string, Handler>> {
    const apps = await this.load(model);
    const handlers = new Map<string, Handler>();
    if (apps.size === 0) return handlers;
    const { AppHandler } = await import("../app/handler.ts");
    for (const [module, app] of apps)
      handlers.set(module, new AppHandler({ app, tls: false, errorDetail: model.options.errorDetail }));
    return handlers;
  }

  /** The model's apps by module path; throws an AppLoadFailure naming the module and the fault. */
  async load(model: ServerModel): Promise<ReadonlyMap<string, App>> {
    const apps = new Map<string, App>();
    for (const site of model.sites) {
      for (const route of site.routes) {
        const handler = route.handler;
        if (handler.kind !== "app" || apps.has(handler.module)) continue;
        apps.set(handler.module, await this.#load(handler.module));
      }
    }
    for (const module of this.#loaded.keys()) if (!apps.has(module)) this.#loaded.delete(module);
    return apps;
  }

  async #load(module: string): Promise<App> {
    let stamp = "";
    try {
      const stat = fs.statSync(module);
      stamp = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      // loadApp names the missing file.
    }
    const known = this.#loaded.get(module);
    if (known !== undefined && known.stamp === stamp) return known.app;
    let app: App;
    try {
      const { loadApp } = await import("../app/load.ts");
      app = await loadApp(module, known === undefined ? 0 : ++this.#version);
    } catch (error) {
      throw new AppLoadFailure((error as Error).message);
    }
    this.#loaded.set(module, { stamp, app });
    return app;
  }
}
