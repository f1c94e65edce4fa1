// The supervisor's sweeps of temporary upload files that stopped processes (or crashed worker threads)
// left under a model's writable roots: which roots, with which settings. Judging and removing a file
// is static/upload-files.ts's; when to sweep is the supervisor's.

import type { ServerModel, TcpConfig } from "../config/load.ts";
import type { FilesHandlerModel } from "../config/model.ts";
import { STALE_MARGIN_MS, UploadSweeper } from "../static/upload-files.ts";

/** Every root a route may write into, once each, with whether its dotfiles are served. */
export function writableRoots(config: ServerModel | TcpConfig): Map<string, boolean> {
  const roots = new Map<string, boolean>();
  if (config.kind === "tcp") return roots;
  const add = (files: FilesHandlerModel | null): void => {
    if (files === null || !files.settings.writable) return;
    // A root served with dotfiles by one route is swept with them: that route's uploads may be there.
    const dotfiles = files.settings.dotfiles === "allow";
    roots.set(files.root, (roots.get(files.root) ?? false) || dotfiles);
  };
  for (const site of config.sites) {
    for (const route of site.routes) {
      const handler = route.handler;
      if (handler.kind === "files") add(handler);
      else if (handler.kind === "proxy" || handler.kind === "app") add(handler.tryFiles);
    }
  }
  return roots;
}

/**
 * Sweeps every writable root of the configuration; `notice` gets one line per root where something
 * was removed. A root that cannot be read is skipped (the sweeper reports nothing for it).
 */
export async function sweepWritableRoots(
  config: ServerModel | TcpConfig,
  isLiveThread: (thread: number) => boolean,
  notice: (line: string) => void,
): Promise<void> {
  if (config.kind === "tcp") return;
  // An upload is aborted after the server-wide body timeout (no route's is longer): older is abandoned.
  const staleMs = config.options.bodyTimeoutMs + STALE_MARGIN_MS;
  for (const [root, dotfiles] of writableRoots(config)) {
    const sweeper = new UploadSweeper({ dotfiles, staleMs, isLiveThread });
    const { files, bytes } = await sweeper.sweepTree(root);
    if (files > 0)
      notice(
        `portico: removed ${files} temporary upload file(s) (${bytes} bytes) left by stopped processes under ${root}`,
      );
  }
}
