// Who may see the status path: loopback clients always, and the networks of --status-allow. Parsed
// once at configuration time into node's BlockList; a check is one lookup. Not a general access
// middleware: it guards the status endpoints only.

import net from "node:net";

export class ClientAllow {
  readonly #list = new net.BlockList();

  /** `entries`: addresses or CIDR blocks ("10.0.0.0/8", "fd00::/8", "192.0.2.7"); throws on a bad one. */
  constructor(entries: readonly string[]) {
    this.#list.addSubnet("127.0.0.0", 8, "ipv4");
    this.#list.addAddress("::1", "ipv6");
    for (const entry of entries) {
      const error = addEntry(this.#list, entry);
      if (error !== "") throw new Error(error);
    }
  }

  /** True when the peer address (as the socket reports it) may see the status path. */
  allows(address: string): boolean {
    const family = net.isIP(address);
    if (family === 4) return this.#list.check(address, "ipv4");
    if (family !== 6) return false;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the IPv4 rules decide for them.
    const mapped = MAPPED_V4.exec(address);
    if (mapped !== null) return this.#list.check(mapped[1]!, "ipv4");
    return this.#list.check(address, "ipv6");
  }
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Checks one --status-allow entry; returns "" when it is valid, or why not. */
export function checkAllowEntry(entry: string): string {
  return addEntry(new net.BlockList(), entry);
}

function addEntry(list: net.BlockList, entry: string): string {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = net.isIP(address);
  if (family === 0) return `${JSON.stringify(entry)} is not an IP address or CIDR block`;
  const type = family === 4 ? "ipv4" : "ipv6";
  if (slash < 0) {
    list.addAddress(address, type);
    return "";
  }
  const bits = entry.slice(slash + 1);
  const prefix = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128))
    return `${JSON.stringify(entry)}: the prefix length must be 0–${family === 4 ? 32 : 128}`;
  list.addSubnet(address, prefix, type);
  return "";
}
