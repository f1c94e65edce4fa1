// Options that belong to another mode, refused with a hint instead of silently ignored: `portico tcp`'s
// options on `portico`'s command line, proxy options without --proxy, and `portico`'s options on
// `portico tcp`'s. Which mode an option belongs to is its group in options.ts; the hints are here.

import { ConfigError } from "./errors.ts";
import { type OptionSpec, optionByKey } from "./options.ts";

const TCP_GROUP: OptionSpec["group"] = "TCP proxy (portico tcp ...)";

/** What a user who typed an option of the other mode most likely meant (option key → flags). */
const MEANT: Readonly<Record<string, string>> = {
  upstream: "--proxy",
  listen: "-p/--port or --host",
  tcpIdleTimeoutMs: "--keep-alive-timeout or --proxy-idle-timeout",
};

/** The same for `portico tcp`: options of `portico` → what `portico tcp` has instead. */
const MEANT_TCP: Readonly<Record<string, string>> = {
  proxy: "--upstream",
  port: "--listen",
  host: "--listen HOST:PORT",
  proxyIdleTimeoutMs: "--idle-timeout",
  keepAliveTimeoutMs: "--idle-timeout",
};

/**
 * `portico` (HTTP): refuses `portico tcp`'s options, and the reverse proxy's options when no route
 * proxies (flags alone and no --proxy; with -c they override the file's proxy routes).
 */
export function refuseOtherModes(given: Iterable<string>, proxied: boolean): void {
  for (const key of given) {
    const spec = optionByKey(key);
    if (spec === undefined) continue;
    if (spec.group === TCP_GROUP) {
      const meant = MEANT[key];
      throw new ConfigError(
        `--${spec.flag} applies to "portico tcp"${meant === undefined ? "" : ` (did you mean ${meant}?)`}`,
      );
    }
    if (!proxied && spec.group === "Proxy" && key !== "proxy")
      throw new ConfigError(
        `--${spec.flag} applies to proxied requests: add --proxy [PREFIX=]URL (or use "portico tcp")`,
      );
  }
}

/** `portico tcp`: the message for an option it does not read. */
export function notForTcp(key: string): ConfigError {
  const flag = optionByKey(key)?.flag ?? key;
  const meant = MEANT_TCP[key];
  return new ConfigError(
    `--${flag} applies to "portico" (HTTP), not "portico tcp"${meant === undefined ? " (see portico tcp --help)" : ` (did you mean ${meant}?)`}`,
  );
}
