// basic_auth: HTTP Basic authentication (RFC 7617) against bcrypt htpasswd entries. A bcrypt check
// costs tens of milliseconds by design, so it runs asynchronously (bcryptjs yields to the event loop)
// and its verdict is remembered per credentials (a bounded map of SHA-256 digests, never the
// passwords), so a browser sending the same Authorization field on every request pays it once.

import { Buffer } from "node:buffer";
import { F_AUTHORIZATION } from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { answer, type Middleware } from "./middleware.ts";

export interface BasicAuthOptions {
  readonly realm: string;
  readonly users: readonly { readonly name: string; readonly hash: string }[];
}

/** Verdicts kept per credentials; the oldest go first past this many. */
const REMEMBERED = 1024;

export class BasicAuth implements Middleware {
  readonly #users: ReadonlyMap<string, string>;
  readonly #challenge: string;
  readonly #verdicts = new Map<string, boolean>();
  /** Checks in progress, so concurrent requests with the same credentials share one bcrypt run. */
  readonly #pending = new Map<string, Promise<boolean>>();
  /** node:crypto's, loaded with the first route that asks for a password: a thread without one never has it. */
  readonly #createHash = process.getBuiltinModule("node:crypto").createHash;

  constructor(options: BasicAuthOptions) {
    this.#users = new Map(options.users.map((u) => [u.name, u.hash]));
    this.#challenge = `Basic realm="${options.realm}", charset="UTF-8"`;
  }

  intercept(req: Request, res: Response): boolean | Promise<boolean> {
    const header = req.get(F_AUTHORIZATION);
    if (header === undefined || !/^basic /i.test(header)) return this.#refuse(res);
    const digest = this.#createHash("sha256").update(header).digest("base64");
    const known = this.#verdicts.get(digest);
    if (known !== undefined) return known ? false : this.#refuse(res);
    let check = this.#pending.get(digest);
    if (check === undefined) {
      check = this.#verify(header.slice(6).trim()).then((ok) => {
        this.#pending.delete(digest);
        if (this.#verdicts.size >= REMEMBERED) this.#verdicts.delete(this.#verdicts.keys().next().value!);
        this.#verdicts.set(digest, ok);
        return ok;
      });
      this.#pending.set(digest, check);
    }
    return check.then((ok) => (ok ? false : this.#refuse(res)));
  }

  async #verify(encoded: string): Promise<boolean> {
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) return false;
    const hash = this.#users.get(decoded.slice(0, colon));
    // An unknown user costs no bcrypt run; the answer is the same 401 either way.
    if (hash === undefined) return false;
    // bcryptjs loads with the first check (cached after): a thread whose routes ask for no
    // password, or see no request with one, never holds it.
    const { default: bcrypt } = await import("bcryptjs");
    return bcrypt.compare(decoded.slice(colon + 1), hash);
  }

  #refuse(res: Response): true {
    return answer(res, 401, "Unauthorized\n", ["WWW-Authenticate", this.#challenge]);
  }
}
