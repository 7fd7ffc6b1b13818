// Maps (method, path) to a route target: exact paths through a hash table, `:param` patterns by
// segment match in registration order. HEAD falls back to GET. Knows nothing about responses.
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
  const std::string *allow;  // with MethodNotAllowed: the Allow header value
  uint32_t num_params;
  static constexpr uint32_t kMaxParams = 16;
  Param params[kMaxParams];
};

class Router {
public:
  // Returns an error message (for the JS exception) or an empty string.
  std::string add(std::string_view method, std::string_view pattern, RouteTarget target);
  // m is method_from(method), which the caller has already worked out.
  void match(Method m, std::string_view method, std::string_view path, RouteMatch *out) const;
  // Every method some route answers, as an Allow value (for OPTIONS *).
  const std::string &methods() const { return all_.allow; }

private:
  struct MethodTable {
    RouteTarget known[static_cast<size_t>(Method::Other)];
    std::vector<std::pair<std::string, RouteTarget>> other;
    std::string allow;
    const RouteTarget *find(Method m, std::string_view token) const;
    RouteTarget *slot(Method m, std::string_view token);
    void rebuild_allow();
  };
  struct Segment {
    std::string literal;
    bool is_param;
  };
  struct Pattern {
    std::string source;
    std::vector<Segment> segments;
    MethodTable methods;
  };

  void resolve(const MethodTable &table, Method m, std::string_view method, RouteMatch *out) const;
  bool match_pattern(const Pattern &p, std::string_view path, RouteMatch *out) const;

  // Keys are views into exact_paths_, which never moves its strings.
  std::vector<std::unique_ptr<std::string>> exact_paths_;
  std::unordered_map<std::string_view, MethodTable> exact_;
  std::vector<Pattern> patterns_;
  MethodTable all_; // the union over every route, kept for methods()
};

} // namespace uvhttp
