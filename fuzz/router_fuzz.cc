// libFuzzer target for the router (native/core/router.cc): fuzzer-chosen route sets and request
// paths. Whatever the routes, matching must not crash or read outside the path (ASan), params must
// lie inside the path, a 405 must name methods, and every accepted route must be reachable: its own
// path (params and the wildcard filled in) finds a route of its method, and a route of exact
// segments is found itself, since nothing is more specific than it.
//
// Input: [flags][lines...]: flags' low bit sets ignoreTrailingSlash; a line "METHOD /pattern" adds a
// route, a line "/path" or "METHOD /path" after a blank line is a request. Build and run with
// scripts/fuzz.sh.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/router.h"

using uvhttp::Method;
using uvhttp::RouteMatch;
using uvhttp::Router;
using uvhttp::RouteTarget;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

struct Added {
  std::string method;
  std::string pattern;
  uint32_t index;
};

// The pattern with each param and the wildcard given a value: a path the route must match.
std::string instance(std::string_view pattern) {
  std::string out;
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view seg = pattern.substr(start, end - start);
    if (!seg.empty() && seg[0] == ':') {
      out += "p";
    } else if (seg == "*") {
      out += "w/x";
    } else {
      out += seg;
    }
    if (end == pattern.size()) break;
    out += '/';
    start = end + 1;
  }
  return out;
}

void check_match(const Router &r, std::string_view method, std::string_view path, RouteMatch *m) {
  r.match(uvhttp::method_from(method), method, path, m);
  require(m->num_params <= RouteMatch::kMaxParams);
  if (m->result == RouteMatch::Result::Found) {
    for (uint32_t i = 0; i < m->num_params; ++i)
      require(m->params[i].offset <= path.size() && m->params[i].length <= path.size() - m->params[i].offset);
  } else if (m->result == RouteMatch::Result::MethodNotAllowed) {
    require(m->allow != nullptr && !m->allow->empty());
  }
}

bool exact(std::string_view pattern) {
  return pattern.find(':') == std::string_view::npos && pattern.find('*') == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  Router r;
  r.set_ignore_trailing_slash(data[0] & 1);
  const std::string_view input(reinterpret_cast<const char *>(data + 1), size - 1);
  std::vector<Added> added;
  std::vector<std::string> requests;
  bool in_requests = false;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      in_requests = true;
      continue;
    }
    if (in_requests) {
      requests.emplace_back(line);
      continue;
    }
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || added.size() >= 64) continue;
    std::string method(line.substr(0, space));
    std::string pattern(line.substr(space + 1));
    const uint32_t index = static_cast<uint32_t>(added.size());
    if (!r.add(method, pattern, RouteTarget{RouteTarget::Kind::Dynamic, index})) added.push_back({method, pattern, index});
  }

  RouteMatch m;
  for (const std::string &req : requests) {
    size_t space = req.find(' ');
    std::string_view method = space == std::string::npos ? std::string_view("GET") : std::string_view(req).substr(0, space);
    std::string_view path = space == std::string::npos ? std::string_view(req) : std::string_view(req).substr(space + 1);
    check_match(r, method, path, &m);
    RouteMatch again;
    check_match(r, method, path, &again);
    require(again.result == m.result && again.num_params == m.num_params &&
            (m.result != RouteMatch::Result::Found || again.target.index == m.target.index));
  }
  for (const Added &a : added) {
    const std::string path = instance(a.pattern);
    check_match(r, a.method, path, &m);
    require(m.result == RouteMatch::Result::Found);
    if (exact(a.pattern)) require(m.target.index == a.index && m.num_params == 0);
  }
  return 0;
}
