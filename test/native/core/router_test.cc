// Unit tests for native/router.cc: exact and :param paths, HEAD from GET, 405 with Allow.
#include <string>
#include <string_view>

#include "check.h"
#include "core/router.h"

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

std::string param(std::string_view path, const RouteMatch &m, uint32_t i) {
  return std::string(path.substr(m.params[i].offset, m.params[i].length));
}

void exact_paths() {
  Router r;
  check::that(r.add("GET", "/", stat(0)).empty(), "add GET /");
  check::that(r.add("GET", "/a/b", dyn(1)).empty(), "add GET /a/b");
  check::that(r.add("POST", "/a/b", dyn(2)).empty(), "add POST /a/b");
  check::that(found(match(r, "GET", "/"), RouteTarget::Kind::Static, 0), "GET / is the static route");
  check::that(found(match(r, "GET", "/a/b"), RouteTarget::Kind::Dynamic, 1), "GET /a/b");
  check::that(found(match(r, "POST", "/a/b"), RouteTarget::Kind::Dynamic, 2), "POST /a/b");
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
  check::that(found(h, RouteTarget::Kind::Dynamic, 0) && h.head_as_get, "HEAD is served by GET");
  RouteMatch g = match(r, "GET", "/x");
  check::that(!g.head_as_get, "GET is not marked head_as_get");
  RouteMatch d = match(r, "DELETE", "/x");
  check::that(d.result == RouteMatch::Result::MethodNotAllowed && d.allow && *d.allow == "GET, HEAD, POST, PURGE",
              "405 lists every method, HEAD included: " + (d.allow ? *d.allow : std::string("null")));
  check::that(found(match(r, "PURGE", "/x"), RouteTarget::Kind::Dynamic, 2), "a custom method token");

  Router only_post;
  only_post.add("POST", "/p", dyn(0));
  RouteMatch hp = match(only_post, "HEAD", "/p");
  check::that(hp.result == RouteMatch::Result::MethodNotAllowed && *hp.allow == "POST", "no GET: HEAD is 405");
}

void params() {
  Router r;
  r.add("GET", "/users/:id", dyn(0));
  r.add("GET", "/users/:id/posts/:post", dyn(1));
  r.add("GET", "/users/me", dyn(2));
  std::string_view p1 = "/users/42";
  RouteMatch m1 = match(r, "GET", p1);
  check::that(found(m1, RouteTarget::Kind::Dynamic, 0) && m1.num_params == 1 && param(p1, m1, 0) == "42", "one param");
  std::string_view p2 = "/users/7/posts/abc";
  RouteMatch m2 = match(r, "GET", p2);
  check::that(found(m2, RouteTarget::Kind::Dynamic, 1) && m2.num_params == 2 && param(p2, m2, 0) == "7" &&
                  param(p2, m2, 1) == "abc",
              "two params");
  check::that(found(match(r, "GET", "/users/me"), RouteTarget::Kind::Dynamic, 2), "an exact path wins over a pattern");
  check::that(match(r, "GET", "/users/").result == RouteMatch::Result::NotFound, "a param is never empty");
  check::that(match(r, "GET", "/users/1/2").result == RouteMatch::Result::NotFound, "extra segments do not match");
  check::that(match(r, "GET", "/users").result == RouteMatch::Result::NotFound, "missing segments do not match");
  check::that(match(r, "PUT", "/users/9").result == RouteMatch::Result::MethodNotAllowed, "a pattern's 405");
}

void registration_errors() {
  Router r;
  check::that(!r.add("GET", "nope", dyn(0)).empty(), "a path must start with /");
  check::that(r.add("GET", "/dup", dyn(0)).empty(), "first registration");
  check::that(!r.add("GET", "/dup", dyn(1)).empty(), "the same method and path twice is refused");
  check::that(r.add("POST", "/dup", dyn(1)).empty(), "another method on the same path is fine");
  std::string many = "";
  for (int i = 0; i < 17; ++i) many += "/:p" + std::to_string(i);
  check::that(!r.add("GET", many, dyn(2)).empty(), "more than 16 params is refused");
}

} // namespace

int main() {
  exact_paths();
  head_and_allow();
  params();
  registration_errors();
  return check::summary("router");
}
