// A file's HTTPS: each site's `tls` (certificate files, "acme" or "internal"), the [acme] table,
// `http_port` and `data_dir` → the one TlsModel the command line's flags also build
// (server-options.ts), so runtime/ serves both alike: every listener carrying a TLS site speaks TLS,
// the certificates of all sites sit in one store and each handshake's SNI name picks one, ACME
// certifies the hosts of "acme" sites and the local CA those of "internal" ones. A listener that
// mixes TLS and plain sites is refused. Certificate files are only checked to be readable here:
// runtime/ reads them (and reads them again on reload).

import fs from "node:fs";
import path from "node:path";
import type { KeyPath } from "./locate.ts";
import type { ListenerModel, TlsModel } from "./model.ts";
import type { Fail } from "./model-parts.ts";
import type { OptionValues } from "./options.ts";
import type { SiteData } from "./schema.ts";
import { acmeCa, acmeNameProblem, dataDirectory } from "./server-options.ts";

/** A site as this file needs it: its `tls` value, hosts, name and key path (["site", i]). */
export interface TlsSite {
  readonly tls: SiteData["tls"];
  readonly hosts: readonly string[];
  readonly name: string;
  readonly path: KeyPath;
}

/**
 * The file's TlsModel, or null when no site says `tls`. `dir` is the file's directory (relative paths);
 * `flags` the command line's options, whose values are taken as given (relative to the working directory);
 * `where` names a key's place ("portico.toml:12") for the messages of certificates read later.
 */
export function tlsFromSites(
  sites: readonly TlsSite[],
  listeners: readonly ListenerModel[],
  values: OptionValues,
  flags: ReadonlyMap<string, unknown>,
  dir: string,
  fail: Fail,
  where: (at: KeyPath) => string,
): TlsModel | null {
  const certFiles: { cert: string; key: string; where: string }[] = [];
  const domains: string[] = [];
  const internalNames: string[] = [];
  for (const site of sites) {
    const tls = site.tls;
    if (tls === undefined) continue;
    const at: KeyPath = [...site.path, "tls"];
    if (tls === "acme") {
      if (site.hosts.length === 0)
        fail(at, `tls = "acme" certifies the site's hosts, but ${site.name} names none: give it hosts`);
      site.hosts.forEach((host, i) => {
        const problem = acmeNameProblem(host);
        if (problem !== null) fail([...site.path, "hosts", i], `hosts[${i}]: ${problem} (tls = "acme")`);
        if (!domains.includes(host)) domains.push(host);
      });
    } else if (tls === "internal") {
      for (const host of site.hosts) if (!internalNames.includes(host)) internalNames.push(host);
    } else {
      const pairs = Array.isArray(tls) ? tls : [tls];
      pairs.forEach((pair, i) => {
        const pairAt: KeyPath = Array.isArray(tls) ? [...at, i] : at;
        const files = {
          cert: readable(pair.cert, dir, [...pairAt, "cert"], fail),
          key: readable(pair.key, dir, [...pairAt, "key"], fail),
          where: where(pairAt),
        };
        if (!certFiles.some((f) => f.cert === files.cert && f.key === files.key)) certFiles.push(files);
      });
    }
  }
  const tlsListeners = listeners.flatMap((listener, index) => {
    const secure = listener.sites.filter((i) => sites[i]!.tls !== undefined);
    if (secure.length === 0) return [];
    const plain = listener.sites.find((i) => sites[i]!.tls === undefined);
    if (plain !== undefined) {
      // Blamed on whichever of the two comes later in the file.
      const tlsSite = sites[secure[0]!]!;
      const plainSite = sites[plain]!;
      fail(
        plain > secure[0]! ? [...plainSite.path, "listen"] : [...tlsSite.path, "tls"],
        `listener ${listener.name} mixes HTTPS and plain HTTP: site ${tlsSite.name} has tls, site ${plainSite.name} has none (a listener speaks TLS for all its sites or for none)`,
      );
    }
    return [index];
  });
  if (tlsListeners.length === 0) {
    if (values.httpPort >= 0)
      fail(["http_port"], "http_port redirects to HTTPS, but no site has tls: give a site tls or remove http_port");
    return null;
  }
  const acme = domains.length > 0;
  const caRoot =
    values.acmeCaRoot === "" || flags.has("acmeCaRoot") ? values.acmeCaRoot : path.resolve(dir, values.acmeCaRoot);
  const ca = acme
    ? acmeCa(values.acmeCa, caRoot, (key, message) => fail(["acme", key], `${key}: ${message}`))
    : { url: values.acmeCa, root: "" };
  const dataDir = values.dataDir === "" || flags.has("dataDir") ? values.dataDir : path.resolve(dir, values.dataDir);
  return {
    listeners: tlsListeners,
    listenHosts: tlsListeners.map((i) => listeners[i]!.host),
    certFiles,
    httpPort: values.httpPort,
    acme,
    domains,
    acmeCa: ca.url,
    acmeEmail: values.acmeEmail,
    acmeCaRoot: ca.root,
    tlsInternal: sites.some((s) => s.tls === "internal"),
    internalNames,
    dataDir: dataDirectory(dataDir),
  };
}

/** A certificate or key file's absolute path, once it is known to be a readable file. */
function readable(name: string, dir: string, at: KeyPath, fail: Fail): string {
  const file = path.resolve(dir, name);
  const key = String(at[at.length - 1]);
  let isFile = false;
  try {
    isFile = fs.statSync(file).isFile();
    if (isFile) fs.accessSync(file, fs.constants.R_OK);
  } catch {
    return fail(at, `${key}: ${name} does not exist or cannot be read`);
  }
  return isFile ? file : fail(at, `${key}: ${name} is not a file`);
}
