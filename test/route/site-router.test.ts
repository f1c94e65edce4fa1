// Unit tests for one site's routes: exact paths, the longest whole-segment prefix, the slash-form
// redirect, and matching on the canonical path so encoded or doubled paths meet their route.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Handler } from "../../src/http/handler.ts";
import { covers, SiteRouter } from "../../src/route/site-router.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

/** A handler that answers with its name, so a test sees which route took the request. */
function named(name: string): Handler {
  return {
    handle(_req, res) {
      res.send(200, ["X-Route", name], name);
      return true;
    },
  };
}

function route(path: string, exact = false) {
  return { path, exact, handler: named(`${exact ? "=" : ""}${path}`) };
}

/** Which route answers `target` (null when none does), and the response. */
function routeOf(router: SiteRouter, target: string) {
  const { req, res, sink } = exchangeFor(target);
  const taken = router.handle(req, res);
  if (taken === false) return { route: null, status: 0, headers: {} as Record<string, string> };
  const { status, headers } = sink.parsed();
  return { route: headers["x-route"] ?? null, status, headers };
}

describe("choosing a route", () => {
  const router = new SiteRouter([
    route("/"),
    route("/api/"),
    route("/api/v2/"),
    route("/healthz", true),
    route("/static"),
  ]);

  test("the longest matching prefix wins", () => {
    assert.equal(routeOf(router, "/api/v2/users").route, "/api/v2/");
    assert.equal(routeOf(router, "/api/v1/users").route, "/api/");
    assert.equal(routeOf(router, "/other").route, "/");
  });

  test("an exact path beats every prefix, and only that path", () => {
    assert.equal(routeOf(router, "/healthz").route, "=/healthz");
    assert.equal(routeOf(router, "/healthz?full=1").route, "=/healthz", "the query is not part of the path");
    assert.equal(routeOf(router, "/healthz/x").route, "/");
  });

  test("a prefix covers whole segments: /static covers /static and /static/x, not /staticx", () => {
    assert.equal(routeOf(router, "/static").route, "/static");
    assert.equal(routeOf(router, "/static/app.js").route, "/static");
    assert.equal(routeOf(router, "/staticx").route, "/");
  });

  test("a site without a / route declines what no route covers (the engine's 404)", () => {
    const partial = new SiteRouter([route("/api/")]);
    assert.equal(routeOf(partial, "/elsewhere").route, null);
  });
});

describe("the slash form", () => {
  test('"/api" for a "/api/" route is redirected to it (301), the query kept, before a shorter route covers it', () => {
    const router = new SiteRouter([route("/"), route("/api/")]);
    const r = routeOf(router, "/api?q=1");
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, "/api/?q=1");
  });

  test("no redirect when a route claims the path without the slash", () => {
    const router = new SiteRouter([route("/"), route("/api/"), route("/api", true)]);
    assert.equal(routeOf(router, "/api").route, "=/api");
  });
});

describe("the canonical path", () => {
  const router = new SiteRouter([route("/"), route("/admin/")]);

  test("escaped letters, doubled slashes and dot segments meet the route they resolve to", () => {
    for (const target of ["/%61dmin/", "/%61%64min/x", "//admin/", "/x/../admin/", "/./admin/"])
      assert.equal(routeOf(router, target).route, "/admin/", target);
  });

  test("an escaped slash never makes a segment boundary", () => {
    assert.equal(routeOf(router, "/admin%2Fx").route, "/");
  });

  test("a malformed escape is matched as it is (the handler answers it)", () => {
    assert.equal(routeOf(router, "/admin/%zz").route, "/admin/");
    assert.equal(routeOf(router, "/%zzadmin/").route, "/");
  });

  test("a site of one / route takes everything without looking", () => {
    const only = new SiteRouter([route("/")]);
    assert.equal(routeOf(only, "/%61dmin/").route, "/");
  });
});

test("covers: whole segments, or anything under a prefix ending in /", () => {
  assert.equal(covers("/", "/anything"), true);
  assert.equal(covers("/api", "/api"), true);
  assert.equal(covers("/api", "/api/x"), true);
  assert.equal(covers("/api", "/apix"), false);
  assert.equal(covers("/api/", "/api/x"), true);
  assert.equal(covers("/api/", "/api"), false);
});

describe("the statistics slot of the route taken", () => {
  const slotted = (path: string, slot: number, exact = false) => ({ ...route(path, exact), slot });
  const router = new SiteRouter(
    [slotted("/", 2), slotted("/api/", 3), slotted("/healthz", 4, true), slotted("/docs/", 5)],
    9,
  );
  const slotOf = (r: SiteRouter, target: string): number => {
    const { req, res } = exchangeFor(target);
    r.handle(req, res);
    return req.routeSlot;
  };

  test("each request carries the slot of the route that took it", () => {
    assert.equal(slotOf(router, "/x"), 2);
    assert.equal(slotOf(router, "/api/v1"), 3);
    assert.equal(slotOf(router, "/healthz"), 4);
    // The slash-form redirect of "/docs/" is counted under that route.
    assert.equal(slotOf(router, "/docs"), 5);
  });

  test("a path no route covers carries the site's own slot; a one-route site its route's", () => {
    const narrow = new SiteRouter([slotted("/api/", 3)], 9);
    assert.equal(slotOf(narrow, "/elsewhere"), 9);
    assert.equal(slotOf(new SiteRouter([slotted("/", 7)], 9), "/anything"), 7);
  });
});
