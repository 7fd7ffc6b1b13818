// Maps (method, path) to a route target through a tree of path segments with per-method leaves:
// `/a/b` (exact segments), `/users/:id` (a param: one non-empty segment) and `/files/*` (a trailing
// wildcard: the rest of the path, slashes included). Where several routes match, an exact segment
// wins over a param and a param over a wildcard, segment by segment from the left, among the routes
// that answer the request's method; a path some route matches for other methods only is a 405 with
// those methods in Allow. HEAD falls back to GET. Param names are the caller's (they are per route,
// not per shape: `GET /items/:id` and `PUT /items/:itemId` are one node with two leaves). Knows
// nothing about responses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uvhttp {

enum class Method : uint8_t { Get, Head, Post, Put, Patch, Delete, Options, Other };
Method method_from(std::string_view token);

struct RouteTarget {
  enum class Kind : uint8_t { None, Static, Dynamic };
  Kind kind = Kind::None;
  uint32_t index = 0; // static response index or JS handler id
};

struct Param {
  uint32_t offset; // into the path
  uint32_t length;
};

struct RouteMatch {
  enum class Result : uint8_t { Found, NotFound, MethodNotAllowed };
  Result result;
  RouteTarget target;
  bool head_as_get;          // HEAD answered by a GET route: send headers only
  const std::string *allow;  // with MethodNotAllowed: the Allow header value (valid until the next match)
  uint32_t num_params;
  static constexpr uint32_t kMaxParams = 16; // a wildcard counts as one
  Param params[kMaxParams];
};

// Why add() refused a route.
struct RouteError {
  enum class Kind : uint8_t { None, Invalid, Duplicate };
  Kind kind = Kind::None;
  std::string message;
  explicit operator bool() const { return kind != Kind::None; }
};

class Router {
public:
  Router();
  ~Router();
  Router(const Router &) = delete;
  Router &operator=(const Router &) = delete;

  // `/a/` and `/a` are one route, and a request path's trailing slash is ignored. Set before any add().
  void set_ignore_trailing_slash(bool ignore) { ignore_trailing_slash_ = ignore; }

  RouteError add(std::string_view method, std::string_view pattern, RouteTarget target);
  // m is method_from(method), which the caller has already worked out.
  void match(Method m, std::string_view method, std::string_view path, RouteMatch *out) const;
  // Every method some route answers, as an Allow value (for OPTIONS *).
  const std::string &methods() const;

private:
  struct MethodTable;
  struct Node;

  const RouteTarget *walk(const Node &node, std::string_view path, size_t pos, Method m, std::string_view method,
                          RouteMatch *out) const;
  void collect(const Node &node, std::string_view path, size_t pos, MethodTable *into) const;
  std::string_view trimmed(std::string_view path) const;

  std::unique_ptr<Node> root_;
  // Routes of exact segments only, by their whole path: one hash lookup for the common case. Keys
  // view the leaf's node, which never moves.
  std::unordered_map<std::string_view, const MethodTable *> exact_;
  std::unique_ptr<MethodTable> all_; // the union over every route, for methods()
  bool ignore_trailing_slash_ = false;
  bool has_patterns_ = false; // some route has a param or wildcard: walk the tree past exact_
  // The Allow value of a 405 whose path several routes match (each route's own is kept with it).
  mutable std::string allow_scratch_;
};

} // namespace uvhttp
