// allow/deny by the client's address (nginx `allow`/`deny`, Caddy `remote_ip`): with an allow list
// only addresses in it pass; addresses in the deny list never pass. Others get 403. Ranges are parsed
// once; a request costs one address parse and integer compares.

import { type Cidr, cidrContains, parseAddress, parseCidr } from "../common/cidr.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { answer, type Middleware } from "./middleware.ts";

export interface AccessOptions {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export class AccessControl implements Middleware {
  readonly #allow: readonly Cidr[];
  readonly #deny: readonly Cidr[];
  /** The last address judged and the verdict: a keep-alive connection asks the same question again. */
  #lastAddress = "";
  #lastVerdict = false;

  constructor(options: AccessOptions) {
    const parse = (list: readonly string[]): Cidr[] => list.map((c) => parseCidr(c)!);
    this.#allow = parse(options.allow);
    this.#deny = parse(options.deny);
  }

  intercept(req: Request, res: Response): boolean {
    if (this.admits(req.remoteAddress)) return false;
    return answer(res, 403, "Forbidden\n");
  }

  admits(address: string): boolean {
    if (address === this.#lastAddress) return this.#lastVerdict;
    const parsed = parseAddress(address);
    let ok = parsed !== null;
    if (parsed !== null) {
      if (this.#allow.length > 0) ok = this.#allow.some((r) => cidrContains(r, parsed.v6, parsed.words));
      if (ok) ok = !this.#deny.some((r) => cidrContains(r, parsed.v6, parsed.words));
    }
    this.#lastAddress = address;
    this.#lastVerdict = ok;
    return ok;
  }
}
