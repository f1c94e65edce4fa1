// IPv4 and IPv6 addresses and CIDR ranges as numbers, for allow/deny lists: parse once at
// configuration time, then test a peer address with integer compares. An IPv4-mapped IPv6 address
// (::ffff:10.0.0.1, what a dual-stack socket reports) is matched as the IPv4 address. Pure.

/** A range: four 32-bit words (IPv4 in the last word, the first three zero) and the prefix length. */
export interface Cidr {
  readonly v6: boolean;
  readonly words: readonly [number, number, number, number];
  /** Prefix length in bits, counted within the family (0-32 for IPv4, 0-128 for IPv6). */
  readonly bits: number;
}

/** "10.0.0.0/8", "2001:db8::/32", "127.0.0.1" (a single address) → a range, or null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const parsed = parseAddress(address);
  if (parsed === null) return null;
  const max = parsed.v6 ? 128 : 32;
  let bits = max;
  if (slash !== -1) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > max) return null;
    bits = Number(b);
  }
  return { v6: parsed.v6, words: parsed.words, bits };
}

/** An address as words (IPv4-mapped IPv6 becomes IPv4), or null. */
export function parseAddress(text: string): { v6: boolean; words: [number, number, number, number] } | null {
  if (text.includes(":")) {
    const words = parseIpv6(text);
    if (words === null) return null;
    if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { v6: false, words: [0, 0, 0, words[3]] };
    return { v6: true, words };
  }
  const v4 = parseIpv4(text);
  return v4 === -1 ? null : { v6: false, words: [0, 0, 0, v4] };
}

/** "a.b.c.d" → an unsigned 32-bit number, or -1. */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

function parseIpv6(text: string): [number, number, number, number] | null {
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === -1) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(Number.parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0)) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return [
    ((all[0]! << 16) | all[1]!) >>> 0,
    ((all[2]! << 16) | all[3]!) >>> 0,
    ((all[4]! << 16) | all[5]!) >>> 0,
    ((all[6]! << 16) | all[7]!) >>> 0,
  ];
}

/** Whether the address (as parseAddress returns it) lies in the range. */
export function cidrContains(range: Cidr, v6: boolean, words: readonly number[]): boolean {
  if (range.v6 !== v6) return false;
  let bits = range.bits;
  for (let w = v6 ? 0 : 3; w < 4 && bits > 0; w++) {
    const take = Math.min(32, bits);
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if ((words[w]! & mask) >>> 0 !== (range.words[w]! & mask) >>> 0) return false;
    bits -= take;
  }
  return true;
}
