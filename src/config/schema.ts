// The one schema of a configuration file (TOML or JSON), written with zod: server-wide keys, [log],
// [[site]] and [[site.route]] with their handlers and middleware. Option keys come from the option
// table (options.ts), so an option added there is a file key at once. The JSON Schema shipped for
// editors (dist/portico.schema.json) is generated from this definition at build time, never written by hand.
// Not here: units, paths and conflicts (model-file.ts), or where a key sits in the text (locate.ts).

import * as z from "zod";
import { defaultText } from "./help.ts";
import { fileKeyOf, type OptionSection, type OptionSpec, optionsIn } from "./options.ts";
import { describe } from "./units.ts";

// Spelled out without flags: a JSON Schema pattern has none, and editors must accept what we accept.
const SIZE = /^\d+(\.\d+)?\s*([kKmMgG][iI]?[bB]?|[bB])?$/;
const DURATION = /^\d+(\.\d+)?\s*([mM][sS]|[sSmMhH])?$/;

/** The schema of one option's value in a file. */
function optionSchema(spec: OptionSpec): z.ZodType {
  const err = { error: `must be ${phrase(spec)}` };
  let schema: z.ZodType;
  switch (spec.type) {
    case "bool":
      schema = z.boolean(err);
      break;
    case "string":
      schema = z.string(err);
      break;
    case "list":
    case "multi":
      schema = z.array(z.string(err), err);
      break;
    case "choice":
      schema = z.enum(spec.choices as [string, ...string[]], err);
      break;
    case "int": {
      let n = z.int(err);
      if (spec.min !== undefined) n = n.min(spec.min, err);
      if (spec.max !== undefined) n = n.max(spec.max, err);
      schema = n;
      break;
    }
    default:
      schema = z.union([z.int(err).min(0, err), z.string(err).regex(spec.type === "size" ? SIZE : DURATION, err)], err);
  }
  return schema.meta({ description: spec.help, default: fileDefault(spec) });
}

/** An option's default as a file would write it (editors show it; it validates against the schema). */
function fileDefault(spec: OptionSpec): unknown {
  if (spec.type === "size" || spec.type === "duration") return defaultText(spec);
  if (spec.key === "threads") return undefined;
  return spec.default;
}

function phrase(spec: OptionSpec): string {
  if (spec.type === "bool") return "true or false";
  if (spec.type === "string") return "a string";
  if (spec.type === "list" || spec.type === "multi") return "a list of strings";
  if (spec.type === "choice") return `one of ${spec.choices!.map((c) => `"${c}"`).join(", ")}`;
  if (spec.type === "int")
    return spec.min !== undefined && spec.max !== undefined
      ? `an integer from ${spec.min} to ${spec.max}`
      : spec.min !== undefined
        ? `an integer of at least ${spec.min}`
        : "an integer";
  return describe(spec);
}

function sectionShape(section: OptionSection): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const spec of optionsIn(section)) shape[fileKeyOf(spec)] = optionSchema(spec).optional();
  return shape;
}

const text = (what: string): z.ZodString => z.string({ error: `must be ${what}` });
const strings = (what: string): z.ZodArray<z.ZodString> =>
  z.array(text("a string"), { error: `must be ${what}` }).meta({ description: what });
const int = (what: string, min: number, max: number): z.ZodInt =>
  z
    .int({ error: `must be ${what}` })
    .min(min, { error: `must be ${what}` })
    .max(max, { error: `must be ${what}` });

// ── Middleware ────────────────────────────────────────────────────────────────────────────────

const headers = z
  .record(text("a field name"), text('a string (the field value; "" for a -Name removal)'), {
    error: 'must be a table of field names and values, e.g. { "X-Frame-Options" = "DENY" }',
  })
  .meta({
    description: 'Response fields: "Name" = value sets, "+Name" = value adds, "-Name" = "" removes',
  });

const basicAuth = z
  .strictObject(
    {
      realm: text("a string").optional().meta({ description: "The realm browsers show (default: the site's name)" }),
      htpasswd: text("a file name").meta({ description: "htpasswd file with bcrypt entries (htpasswd -B)" }),
    },
    { error: 'must be a table such as { realm = "admin", htpasswd = "admin.htpasswd" }' },
  )
  .meta({ description: "HTTP Basic authentication (RFC 7617) against bcrypt htpasswd entries" });

const cidrs = (what: string): z.ZodArray<z.ZodString> => strings(`a list of addresses or CIDR ranges (${what})`);

const rateLimit = z
  .strictObject(
    {
      rate: text('a rate such as "10/s", "600/m" or "1000/h"')
        .regex(/^\d+(\.\d+)?\/(s|m|h)$/, {
          error: 'must be a rate such as "10/s", "600/m" or "1000/h"',
        })
        .meta({ description: 'Requests per second, minute or hour: "10/s", "600/m", "1000/h"' }),
      burst: int("an integer", 0, 1_000_000)
        .optional()
        .meta({ description: "Requests allowed at once beyond the rate", default: 0 }),
      key: text('"ip", "header:NAME" or "cookie:NAME"')
        .optional()
        .meta({ description: 'What is counted: "ip", "header:NAME" or "cookie:NAME"', default: "ip" }),
    },
    { error: 'must be a table such as { rate = "10/s", burst = 5 }' },
  )
  .meta({ description: "Token-bucket limit, counted across all threads; over it: 429 with Retry-After" });

const cors = z
  .strictObject(
    {
      origins: strings('a list of origins such as "https://app.test", or ["*"]').meta({
        description: 'Origins allowed ("https://app.test"), or ["*"] for any',
      }),
      methods: strings("a list of methods")
        .optional()
        .meta({
          description: "Methods a preflight allows",
          default: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        }),
      headers: strings("a list of request field names")
        .optional()
        .meta({ description: "Request fields a preflight allows (none: those it asks for)" }),
      expose: strings("a list of response field names")
        .optional()
        .meta({ description: "Response fields scripts may read (Access-Control-Expose-Headers)" }),
      credentials: z
        .boolean({ error: "must be true or false" })
        .optional()
        .meta({ description: "Allow credentials (cookies); the origin is echoed instead of *", default: false }),
      max_age: z
        .union([z.int().min(0), z.string().regex(DURATION)], { error: "must be a duration such as 10m or 86400s" })
        .optional()
        .meta({ description: "How long a browser may keep a preflight's answer", default: "10m" }),
    },
    { error: 'must be a table such as { origins = ["https://app.test"] }' },
  )
  .meta({ description: "Cross-origin resource sharing: preflight answered, listed origins get Access-Control-*" });

/** Keys a site and a route share: middleware that applies to every response beneath. */
const middlewareShape = {
  headers: headers.optional(),
  basic_auth: basicAuth.optional(),
  allow: cidrs("only these may pass; others get 403").optional(),
  deny: cidrs("these get 403").optional(),
  rate_limit: rateLimit.optional(),
  cors: cors.optional(),
};

// ── Handlers ──────────────────────────────────────────────────────────────────────────────────

const files = z
  .union([z.boolean(), z.strictObject(sectionShape("files"))], {
    error: "must be true or a table of file options such as { spa = true }",
  })
  .meta({ description: "Serve the site's root (every file option of the command line)" });

const proxy = z
  .strictObject(
    {
      upstreams: z
        .union([text("a URL"), strings("a list of http:// or https:// URLs")], {
          error: "must be a list of http:// or https:// URLs",
        })
        .meta({ description: "Upstream URLs; ?weight=N for weighted; a path replaces the route's path" }),
      try_files: z
        .boolean({ error: "must be true or false" })
        .optional()
        .meta({ description: "Serve the site's files first; proxy what they lack" }),
      ...sectionShape("proxy"),
    },
    { error: 'must be a table such as { upstreams = ["http://127.0.0.1:9000"] }' },
  )
  .meta({ description: "Reverse proxy (every proxy option of the command line)" });

const redirect = z
  .strictObject(
    {
      to: text("a path or URL").meta({ description: 'What replaces the matched path: "/new/" or "https://host/"' }),
      status: z
        .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)], {
          error: "must be 301, 302, 303, 307 or 308",
        })
        .optional()
        .meta({ description: "The redirect's status", default: 302 }),
    },
    { error: 'must be a table such as { to = "/new/", status = 301 }' },
  )
  .meta({ description: "Redirect: the matched path is replaced by `to`; the rest and the query are kept" });

const respond = z
  .strictObject(
    {
      status: int("a status code from 200 to 599", 200, 599)
        .optional()
        .meta({ description: "The status", default: 200 }),
      body: text("a string").optional().meta({ description: "The body", default: "" }),
      content_type: text("a media type")
        .optional()
        .meta({ description: "Its Content-Type", default: "text/plain; charset=utf-8" }),
    },
    { error: 'must be a table such as { status = 200, body = "ok\\n" }' },
  )
  .meta({ description: "A fixed response" });

const appTable = z.strictObject(
  {
    module: text("a path").meta({ description: "The module (relative to this file)" }),
    try_files: z
      .boolean({ error: "must be true or false" })
      .optional()
      .meta({ description: "Serve the site's files first; the app answers what they lack" }),
  },
  { error: 'must be a path such as "./app.ts", or a table such as { module = "./app.ts", try_files = true }' },
);

const app = z
  .union([text("a path"), appTable], {
    error: 'must be a path such as "./app.ts", or a table such as { module = "./app.ts", try_files = true }',
  })
  .meta({
    description:
      "A fetch-style app module (its default export has fetch(request, info)), relative to this file; it sees the whole path",
  });

/** The handler keys of a route: at most one per route. */
export const HANDLER_KEYS = ["files", "proxy", "app", "redirect", "respond"] as const;

const route = z
  .strictObject(
    {
      path: text('a path such as "/api/", or "=/exact"').meta({
        description: 'Prefix ("/api/"; the longest match wins) or "=/exact" for one path',
      }),
      files: files.optional(),
      proxy: proxy.optional(),
      app: app.optional(),
      redirect: redirect.optional(),
      respond: respond.optional(),
      ...middlewareShape,
      max_body: optionSchema(limit("max-body"))
        .meta({ description: "The route's body limit (413 beyond), at most the server's max_body", default: undefined })
        .optional(),
      body_timeout: optionSchema(limit("body-timeout"))
        .meta({
          description: "The route's longest pause in a body (408 after), at most the server's body_timeout",
          default: undefined,
        })
        .optional(),
      cache_control: text("a Cache-Control value")
        .optional()
        .meta({ description: "Cache-Control of the route's responses (files: as files.cache_control)" }),
      compress: z
        .boolean({ error: "must be true or false" })
        .optional()
        .meta({ description: "Compress file responses (files routes)" }),
    },
    { error: "must be a table ([[site.route]])" },
  )
  .meta({ description: "A route: a path, at most one handler (files by default), middleware and limits" });

function limit(flag: string): OptionSpec {
  const spec = optionsIn("server").find((o) => o.flag === flag);
  if (spec === undefined) throw new Error(`option --${flag} is missing from the table`);
  return spec;
}

const listen = z
  .union([text("an address"), strings('a list of "[HOST:]PORT" addresses')], {
    error: 'must be a list of "[HOST:]PORT" addresses',
  })
  .meta({ description: 'Addresses: "127.0.0.1:8080", "[::1]:8080" or "8080" (every address)' });

const site = z
  .strictObject(
    {
      hosts: strings('a list of host names such as "example.test" or "*.example.test"')
        .optional()
        .meta({ description: 'Exact names or "*.example.test"; none: any host' }),
      listen: listen.optional(),
      root: text("a directory").optional().meta({ description: "Files' directory, relative to this file" }),
      ...middlewareShape,
      route: z
        .array(route, { error: "must be a list of routes ([[site.route]])" })
        .optional()
        .meta({ description: "The site's routes ([[site.route]]); none: the root's files under /" }),
    },
    { error: "must be a table ([[site]])" },
  )
  .meta({ description: "A site: host names, listen addresses, a root, and routes" });

export const FILE_SCHEMA = z.strictObject(
  {
    $schema: text("a URL").optional().meta({ description: "The JSON Schema this file follows (for editors)" }),
    ...sectionShape("server"),
    log: z
      .strictObject(sectionShape("log"), { error: "must be a table ([log])" })
      .optional()
      .meta({ description: "The per-request log" }),
    site: z
      .array(site, { error: "must be a list of sites ([[site]])" })
      .optional()
      .meta({ description: "The sites ([[site]]), at least one" }),
  },
  { error: "must be a table" },
);

export type FileData = z.output<typeof FILE_SCHEMA>;
export type SiteData = z.output<typeof site>;
export type RouteData = z.output<typeof route>;
export type MiddlewareData = Pick<RouteData, keyof typeof middlewareShape>;

/** The keys a table accepts, by its path without indexes ("site.route"): for did-you-mean. */
export const KEYS_BY_TABLE: Readonly<Record<string, readonly string[]>> = {
  "": Object.keys(FILE_SCHEMA.shape),
  log: Object.keys(sectionShape("log")),
  site: Object.keys(site.shape),
  "site.route": Object.keys(route.shape),
  "site.route.files": Object.keys(sectionShape("files")),
  "site.route.proxy": Object.keys(proxy.shape),
  "site.route.app": Object.keys(appTable.shape),
  "site.route.redirect": Object.keys(redirect.shape),
  "site.route.respond": Object.keys(respond.shape),
  "site.basic_auth": Object.keys(basicAuth.shape),
  "site.route.basic_auth": Object.keys(basicAuth.shape),
  "site.rate_limit": Object.keys(rateLimit.shape),
  "site.route.rate_limit": Object.keys(rateLimit.shape),
  "site.cors": Object.keys(cors.shape),
  "site.route.cors": Object.keys(cors.shape),
};

/** The JSON Schema of the file, for editors (Taplo's `#:schema`, VS Code's json.schemas). */
export function jsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(FILE_SCHEMA, { io: "input", unrepresentable: "any" }),
    title: "Portico configuration",
  };
}
