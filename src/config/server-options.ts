// Server-wide option values with rules beyond their type: the status page's path and who may see it,
// the access log file, and the command line's HTTPS flags checked against each other.

import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import type { TlsModel } from "./model.ts";
import type { OptionValues } from "./options.ts";

/** "/_portico/" → "/_portico"; "" stays off. `fail` gets the message for anything else. */
export function normalizeStatusPath(value: string, fail: (message: string) => never): string {
  if (value === "") return "";
  if (!value.startsWith("/") || /[\s?#%]/.test(value))
    return fail(`status_path: expected a path such as /_portico, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, "") || "/_portico";
}

/** status_allow: each entry an IP address or CIDR block (checked again where it is compiled). */
export function checkStatusAllow(entries: readonly string[], fail: (message: string) => never): readonly string[] {
  for (const entry of entries) {
    const [address = "", bits, extra] = entry.split("/");
    const family = net.isIP(address);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)))
      fail(`status_allow: ${JSON.stringify(entry)} is not an IP address or CIDR block`);
  }
  return entries;
}

/**
 * The access log file: opened for appending once here (created if missing, as the workers will), so a
 * path that cannot be written stops the start (or the reload) with one line naming it.
 */
export function checkAccessLog(file: string, fail: (message: string) => never): string {
  if (file === "") return "";
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    const why =
      code === "ENOENT"
        ? "its directory does not exist"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : code;
    fail(`access_log: cannot open ${file} for appending (${why})`);
  }
  return file;
}

/** --data-dir, else $XDG_DATA_HOME/portico, else ~/.local/share/portico (XDG Base Directory). */
export function dataDirectory(given: string): string {
  if (given !== "") return given;
  const xdg = process.env.XDG_DATA_HOME;
  if (xdg?.startsWith("/")) return `${xdg}/portico`;
  return `${os.homedir()}/.local/share/portico`;
}

/** A host name ACME can certify (HTTP-01 and TLS-ALPN-01 only: no wildcards), or the problem. */
export function acmeNameProblem(name: string): string | null {
  if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name))
    return `${JSON.stringify(name)} is not a host name`;
  if (name.startsWith("*.")) return `${name}: wildcard names need the DNS-01 challenge, which Portico does not do`;
  return null;
}

/** The ACME CA's directory URL checked, and its extra roots (--acme-ca-root, [acme] ca_root) read as PEM. */
export function acmeCa(
  url: string,
  rootFile: string,
  fail: (key: "ca" | "ca_root", message: string) => never,
): { readonly url: string; readonly root: string } {
  if (!/^https:\/\/[^\s]+$/.test(url)) fail("ca", `expected an https:// URL, got ${JSON.stringify(url)}`);
  let root = "";
  if (rootFile !== "") {
    try {
      root = fs.readFileSync(rootFile, "utf8");
    } catch {
      fail("ca_root", `${rootFile} does not exist or cannot be read`);
    }
    if (!root.includes("-----BEGIN CERTIFICATE-----")) fail("ca_root", `${rootFile} holds no PEM certificate`);
  }
  return { url, root };
}

/**
 * The command line's HTTPS (--cert/--key, --acme, --tls internal, --http-port) for listener 0, or null
 * for plain HTTP. `fail` gets a message starting with the flag at fault. Certificate files are read by
 * runtime/ (so a reload re-reads them).
 */
export function tlsFromFlags(values: OptionValues, fail: (message: string) => never): TlsModel | null {
  const certs = values.cert;
  const keys = values.key;
  if (certs.length !== keys.length)
    fail(`--cert and --key come in pairs (${certs.length} --cert, ${keys.length} --key)`);
  const acme = values.acme;
  const domains = values.domain.map((d) => d.toLowerCase());
  if (acme && domains.length === 0) fail("--acme needs --domain NAMES (the host names to certify)");
  const internal = values.tls === "internal";
  if (!acme && !internal && domains.length > 0) fail("--domain applies with --acme or --tls internal");
  for (const d of domains) {
    const problem = acmeNameProblem(d);
    if (problem !== null) fail(`--domain: ${problem}`);
  }
  if (internal && acme) fail("--tls internal and --acme exclude each other");
  const ca = acme
    ? acmeCa(values.acmeCa, values.acmeCaRoot, (key, m) => fail(`--acme-${key.replace("_", "-")}: ${m}`))
    : { url: values.acmeCa, root: "" };
  const https = certs.length > 0 || acme || internal;
  const httpPort = values.httpPort;
  if (!https) {
    if (httpPort >= 0) fail("--http-port redirects to HTTPS: give --cert/--key, --acme or --tls internal");
    return null;
  }
  return {
    listeners: [0],
    listenHosts: [values.host],
    certFiles: certs.map((cert, i) => ({ cert, key: keys[i]!, where: "" })),
    httpPort,
    acme,
    domains: acme ? domains : [],
    acmeCa: ca.url,
    acmeEmail: values.acmeEmail,
    acmeCaRoot: ca.root,
    tlsInternal: internal,
    internalNames: internal ? domains : [],
    dataDir: dataDirectory(values.dataDir),
  };
}
