// Unit tests for native/core/router.cc: exact, :param and trailing * paths, precedence, per-method
// leaves of one shape, HEAD from GET, 405 with Allow, trailing slashes, registration errors.
#include <string>
#include <string_view>

#include "check.h"
#include "core/router.h"

using uvhttp::RouteError;
using uvhttp::RouteMatch;
using uvhttp::Router;
using uvhttp::RouteTarget;

namespace {

RouteTarget dyn(uint32_t id) { return RouteTarget{RouteTarget::Kind::Dynamic, id}; }
RouteTarget stat(uint32_t id) { return RouteTarget{RouteTarget::Kind::Static, id}; }

RouteMatch match(const Router &r, std::string_view method, std::string_view path) {
  RouteMatch m;
  r.match(uvhttp::method_from(method), method, path, &m);
  return m;
}

bool found(const RouteMatch &m, RouteTarget::Kind kind, uint32_t index) {
  return m.result == RouteMatch::Result::Found && m.target.kind == kind && m.target.index == index;
}

bool found(const RouteMatch &m, uint32_t index) { return found(m, RouteTarget::Kind::Dynamic, index); }

std::string param(std::string_view path, const RouteMatch &m, uint32_t i) {
  return std::string(path.substr(m.params[i].offset, m.params[i].length));
}

bool ok(const RouteError &e) { return !e; }

std::string allow_of(const RouteMatch &m) {
  return m.result == RouteMatch::Result::MethodNotAllowed && m.allow ? *m.allow : std::string("(not a 405)");
}

void exact_paths() {
  Router r;
  check::that(ok(r.add("GET", "/", stat(0))), "add GET /");
  check::that(ok(r.add("GET", "/a/b", dyn(1))), "add GET /a/b");
  check::that(ok(r.add("POST", "/a/b", dyn(2))), "add POST /a/b");
  check::that(found(match(r, "GET", "/"), RouteTarget::Kind::Static, 0), "GET / is the static route");
  check::that(found(match(r, "GET", "/a/b"), 1), "GET /a/b");
  check::that(found(match(r, "POST", "/a/b"), 2), "POST /a/b");
  check::that(match(r, "GET", "/a").result == RouteMatch::Result::NotFound, "a prefix is not a match");
  check::that(match(r, "GET", "/a/b/").result == RouteMatch::Result::NotFound, "a trailing slash is another path");
  check::that(match(r, "get", "/").result == RouteMatch::Result::MethodNotAllowed, "methods are case-sensitive");
}

void head_and_allow() {
  Router r;
  r.add("GET", "/x", dyn(0));
  r.add("POST", "/x", dyn(1));
  r.add("PURGE", "/x", dyn(2));
  RouteMatch h = match(r, "HEAD", "/x");
  check::that(found(h, 0) && h.head_as_get, "HEAD is served by GET");
  RouteMatch g = match(r, "GET", "/x");
  check::that(!g.head_as_get, "GET is not marked head_as_get");
  RouteMatch d = match(r, "DELETE", "/x");
  check::that(allow_of(d) == "GET, HEAD, POST, PURGE", "405 lists every method, HEAD included: " + allow_of(d));
  check::that(found(match(r, "PURGE", "/x"), 2), "a custom method token");

  Router only_post;
  only_post.add("POST", "/p", dyn(0));
  check::that(allow_of(match(only_post, "HEAD", "/p")) == "POST", "no GET: HEAD is 405");
  check::that(r.methods() == "GET, HEAD, POST, PURGE", "methods() for OPTIONS *: " + r.methods());
}

void params() {
  Router r;
  r.add("GET", "/users/:id", dyn(0));
  r.add("GET", "/users/:id/posts/:post", dyn(1));
  r.add("GET", "/users/me", dyn(2));
  std::string_view p1 = "/users/42";
  RouteMatch m1 = match(r, "GET", p1);
  check::that(found(m1, 0) && m1.num_params == 1 && param(p1, m1, 0) == "42", "one param");
  std::string_view p2 = "/users/7/posts/abc";
  RouteMatch m2 = match(r, "GET", p2);
  check::that(found(m2, 1) && m2.num_params == 2 && param(p2, m2, 0) == "7" && param(p2, m2, 1) == "abc", "two params");
  RouteMatch me = match(r, "GET", "/users/me");
  check::that(found(me, 2) && me.num_params == 0, "an exact path wins over a pattern");
  check::that(match(r, "GET", "/users/").result == RouteMatch::Result::NotFound, "a param is never empty");
  check::that(match(r, "GET", "/users/1/2").result == RouteMatch::Result::NotFound, "extra segments do not match");
  check::that(match(r, "GET", "/users").result == RouteMatch::Result::NotFound, "missing segments do not match");
  check::that(allow_of(match(r, "PUT", "/users/9")) == "GET, HEAD", "a pattern's 405");
}

void one_shape_many_methods() {
  // The same shape with other param names, per method: each method gets its own route.
  Router r;
  check::that(ok(r.add("GET", "/items/:id", dyn(0))), "GET /items/:id");
  check::that(ok(r.add("PUT", "/items/:itemId", dyn(1))), "PUT /items/:itemId beside it");
  std::string_view p = "/items/1";
  RouteMatch put = match(r, "PUT", p);
  check::that(found(put, 1) && put.num_params == 1 && param(p, put, 0) == "1", "PUT /items/1 reaches the PUT route");
  check::that(found(match(r, "GET", p), 0), "GET /items/1 reaches the GET route");
  check::that(allow_of(match(r, "DELETE", p)) == "GET, HEAD, PUT", "405 lists both: " + allow_of(match(r, "DELETE", p)));
  RouteError dup = r.add("GET", "/items/:other", dyn(2));
  check::that(dup.kind == RouteError::Kind::Duplicate, "the same method and shape twice is a duplicate, whatever the names");
}

void precedence() {
  Router r;
  r.add("GET", "/a/:x/c", dyn(0));
  r.add("GET", "/a/b/d", dyn(1));
  r.add("GET", "/a/*", dyn(2));
  r.add("GET", "/:y/b/c", dyn(3));
  // /a/b/c: literal "b" leads to "d" only, so the walk backs up to the param, which ends at c.
  std::string_view p = "/a/b/c";
  RouteMatch m = match(r, "GET", p);
  check::that(found(m, 0) && m.num_params == 1 && param(p, m, 0) == "b", "backtracks from a literal to a param");
  check::that(found(match(r, "GET", "/a/b/d"), 1), "the literal path");
  std::string_view w = "/a/b/e/f";
  RouteMatch mw = match(r, "GET", w);
  check::that(found(mw, 2) && mw.num_params == 1 && param(w, mw, 0) == "b/e/f", "nothing more specific: the wildcard");
  RouteMatch left = match(r, "GET", "/z/b/c");
  check::that(found(left, 3), "a param in the first segment");
  // A method filter decides among the shapes: the more specific route answers only POST.
  Router f;
  f.add("POST", "/users/me", dyn(0));
  f.add("GET", "/users/:id", dyn(1));
  check::that(found(match(f, "GET", "/users/me"), 1), "an exact path of another method does not hide a GET pattern");
  check::that(found(match(f, "POST", "/users/me"), 0), "POST takes its exact route");
  check::that(allow_of(match(f, "PUT", "/users/me")) == "GET, HEAD, POST", "405 unites every route the path matches");
}

void wildcards() {
  Router r;
  check::that(ok(r.add("GET", "/files/*", dyn(0))), "add /files/*");
  check::that(ok(r.add("GET", "/*", dyn(1))), "add /*");
  std::string_view p = "/files/a/b.txt";
  RouteMatch m = match(r, "GET", p);
  check::that(found(m, 0) && m.num_params == 1 && param(p, m, 0) == "a/b.txt", "the rest of the path, slashes kept");
  std::string_view e = "/files/";
  RouteMatch me = match(r, "GET", e);
  check::that(found(me, 0) && me.num_params == 1 && param(e, me, 0).empty(), "an empty rest");
  check::that(found(match(r, "GET", "/files"), 1), "/files is not under /files/ (the root wildcard takes it)");
  check::that(found(match(r, "GET", "/"), 1), "the root wildcard takes /");
  check::that(found(match(r, "HEAD", "/x/y"), 1), "HEAD through a wildcard GET");
}

void trailing_slash() {
  Router strict;
  strict.add("GET", "/todos/:id", dyn(0));
  check::that(match(strict, "GET", "/todos/1/").result == RouteMatch::Result::NotFound, "by default /todos/1/ is another path");
  Router r;
  r.set_ignore_trailing_slash(true);
  check::that(ok(r.add("GET", "/todos/:id", dyn(0))), "add /todos/:id");
  check::that(ok(r.add("GET", "/list/", dyn(1))), "add /list/");
  check::that(ok(r.add("GET", "/", dyn(2))), "add /");
  std::string_view p = "/todos/1/";
  RouteMatch m = match(r, "GET", p);
  check::that(found(m, 0) && param(p, m, 0) == "1", "ignored: /todos/1/ is /todos/1");
  check::that(found(match(r, "GET", "/list"), 1), "a route added with its slash answers without it");
  check::that(found(match(r, "GET", "/list/"), 1), "and with it");
  check::that(found(match(r, "GET", "/"), 2), "the root keeps its slash");
  check::that(r.add("GET", "/list", dyn(3)).kind == RouteError::Kind::Duplicate, "/list beside /list/ is a duplicate");
}

void registration_errors() {
  Router r;
  auto invalid = [&](std::string_view pattern, const char *what) {
    RouteError e = r.add("GET", pattern, dyn(9));
    check::that(e.kind == RouteError::Kind::Invalid && !e.message.empty(), std::string(what) + ": " + std::string(pattern));
  };
  invalid("nope", "a path must start with /");
  invalid("", "an empty path");
  invalid("/a/:x/:x", "a repeated param name");
  invalid("/a/:", "a param without a name");
  invalid("/a/:x-y", "a param name with a dash");
  invalid("/a/*/b", "a wildcard before the end");
  invalid("/a*", "a wildcard inside a segment");
  invalid("/a//b", "an empty segment");
  invalid("/a?b=1", "a query");
  std::string many;
  for (int i = 0; i < 17; ++i) many += "/:p" + std::to_string(i);
  invalid(many, "more than 16 params");
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += "/:p" + std::to_string(i);
  check::that(ok(r.add("GET", sixteen, dyn(3))), "16 params are allowed");
  check::that(ok(r.add("GET", "/dup", dyn(0))), "first registration");
  check::that(r.add("GET", "/dup", dyn(1)).kind == RouteError::Kind::Duplicate, "the same method and path twice");
  check::that(ok(r.add("POST", "/dup", dyn(1))), "another method on the same path is fine");
  check::that(ok(r.add("GET", "/v1/things:batchGet", dyn(2))), "a ':' inside a segment is literal");
  check::that(found(match(r, "GET", "/v1/things:batchGet"), 2), "and matches literally");
  // A refused route leaves no trace: the path still 404s.
  check::that(match(r, "GET", "/a/1/2").result == RouteMatch::Result::NotFound, "refused routes were not added");
}

void many_routes() {
  // A thousand routes of every kind: each answers its own path, and the lookups stay exact.
  Router r;
  for (uint32_t i = 0; i < 250; ++i) {
    const std::string n = std::to_string(i);
    check::that(ok(r.add("GET", "/static/" + n, dyn(i))), "exact " + n);
    check::that(ok(r.add("GET", "/users" + n + "/:id", dyn(1000 + i))), "param " + n);
    check::that(ok(r.add("POST", "/users" + n + "/:id/items/:item", dyn(2000 + i))), "two params " + n);
    check::that(ok(r.add("GET", "/files" + n + "/*", dyn(3000 + i))), "wildcard " + n);
  }
  bool all = true;
  for (uint32_t i = 0; i < 250; ++i) {
    const std::string n = std::to_string(i);
    all = all && found(match(r, "GET", "/static/" + n), i);
    const std::string u = "/users" + n + "/x";
    all = all && found(match(r, "GET", u), 1000 + i);
    all = all && found(match(r, "POST", "/users" + n + "/x/items/y"), 2000 + i);
    all = all && found(match(r, "GET", "/files" + n + "/a/b"), 3000 + i);
  }
  check::that(all, "1,000 routes each reach their own handler");
}

} // namespace

int main() {
  exact_paths();
  head_and_allow();
  params();
  one_shape_many_methods();
  precedence();
  wildcards();
  trailing_slash();
  registration_errors();
  many_routes();
  return check::summary("router");
}
