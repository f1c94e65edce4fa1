// cors: cross-origin resource sharing (Fetch standard, "CORS protocol"). A preflight (OPTIONS with
// Origin and Access-Control-Request-Method) from a listed origin is answered 204 with the allowed
// methods and headers; other requests from a listed origin go on with Access-Control-Allow-Origin
// (and the rest) added to their response; other origins get no CORS fields (a preflight from one
// gets 403). Every response says `Vary: Origin` unless any origin is allowed without credentials.
// The fields per origin are field edits made once, so a cached file stays one prepared write.

import { FieldEdits } from "../http/field-edits.ts";
import { F_ACCESS_CONTROL_REQUEST_METHOD, F_ORIGIN } from "../http/headers.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";
import { answer, type Middleware } from "./middleware.ts";

export interface CorsOptions {
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  readonly headers: readonly string[];
  readonly expose: readonly string[];
  readonly credentials: boolean;
  readonly maxAgeSeconds: number;
}

/** Origins remembered with their edits when any origin is echoed (credentials with "*"). */
const ECHOED = 256;

export class Cors implements Middleware {
  readonly #options: CorsOptions;
  readonly #any: boolean;
  /** The route's edits without CORS fields (requests with no or an unlisted origin). */
  readonly #plain: FieldEdits;
  readonly #byOrigin = new Map<string, FieldEdits>();
  readonly #base: FieldEdits;

  /** `base`: the route's other field edits (site and route headers), CORS fields go on top. */
  constructor(options: CorsOptions, base: FieldEdits | null) {
    this.#options = options;
    this.#any = options.origins.includes("*");
    this.#base = base ?? new FieldEdits([], [], []);
    const echo = !this.#any || options.credentials;
    this.#plain = echo ? this.#base.extend([], [["Vary", "Origin"]]) : this.#base;
    if (this.#any && !options.credentials) this.#byOrigin.set("*", this.#edits("*"));
    else for (const origin of options.origins) if (origin !== "*") this.#byOrigin.set(origin, this.#edits(origin));
  }

  /** The edits for responses that carry no CORS fields. */
  get plain(): FieldEdits {
    return this.#plain;
  }

  intercept(req: Request, res: Response): boolean {
    const origin = req.get(F_ORIGIN);
    if (origin === undefined) {
      res.edits = this.#plain;
      return false;
    }
    const edits = this.#editsFor(origin);
    const preflight = req.method === "OPTIONS" && req.has(F_ACCESS_CONTROL_REQUEST_METHOD);
    if (edits === null) {
      res.edits = this.#plain;
      return preflight ? answer(res, 403, "Forbidden: origin not allowed\n") : false;
    }
    res.edits = edits;
    if (!preflight) return false;
    const o = this.#options;
    const asked = req.header("access-control-request-headers");
    const allowHeaders = o.headers.length > 0 ? o.headers.join(", ") : (asked ?? "");
    const fields = [
      "Access-Control-Allow-Methods",
      o.methods.join(", "),
      "Access-Control-Max-Age",
      String(o.maxAgeSeconds),
    ];
    if (allowHeaders !== "") fields.push("Access-Control-Allow-Headers", allowHeaders);
    if (o.headers.length === 0 && asked !== undefined) fields.push("Vary", "Access-Control-Request-Headers");
    res.send(204, fields);
    return true;
  }

  #editsFor(origin: string): FieldEdits | null {
    if (this.#any && !this.#options.credentials) return this.#byOrigin.get("*")!;
    const known = this.#byOrigin.get(origin);
    if (known !== undefined || !this.#any) return known ?? null;
    if (this.#byOrigin.size >= ECHOED) this.#byOrigin.clear();
    const made = this.#edits(origin);
    this.#byOrigin.set(origin, made);
    return made;
  }

  #edits(origin: string): FieldEdits {
    const o = this.#options;
    const set: [string, string][] = [["Access-Control-Allow-Origin", origin]];
    if (o.credentials) set.push(["Access-Control-Allow-Credentials", "true"]);
    if (o.expose.length > 0) set.push(["Access-Control-Expose-Headers", o.expose.join(", ")]);
    return this.#base.extend(set, origin === "*" ? [] : [["Vary", "Origin"]]);
  }
}
