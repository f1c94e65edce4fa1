// The app modules (src/app/) of a worker thread's configurations, loaded before a configuration is
// built. A module whose file is unchanged (same modification time and size) is reused across reloads;
// a changed one is imported again under a new URL (`?v=N`), since a reload keeps the thread and Node
// caches modules by URL. Modules the app itself imports are cached by Node and not imported again.

import fs from "node:fs";
import type { ServerModel } from "../config/model.ts";
import { loadApp } from "../app/load.ts";
import type { App } from "../app/types.ts";

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
      app = await loadApp(module, known === undefined ? 0 : ++this.#version);
    } catch (error) {
      throw new AppLoadFailure((error as Error).message);
    }
    this.#loaded.set(module, { stamp, app });
    return app;
  }
}
