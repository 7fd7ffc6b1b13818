#include "core/router.h"

#include <cstring>

namespace uvhttp {

namespace {

const char *const kMethodNames[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

bool is_param_segment(std::string_view s) { return s.size() > 1 && s[0] == ':'; }

} // namespace

Method method_from(std::string_view t) {
  switch (t.size()) {
  case 3:
    if (t == "GET") return Method::Get;
    if (t == "PUT") return Method::Put;
    break;
  case 4:
    if (t == "HEAD") return Method::Head;
    if (t == "POST") return Method::Post;
    break;
  case 5:
    if (t == "PATCH") return Method::Patch;
    break;
  case 6:
    if (t == "DELETE") return Method::Delete;
    break;
  case 7:
    if (t == "OPTIONS") return Method::Options;
    break;
  }
  return Method::Other;
}

const RouteTarget *Router::MethodTable::find(Method m, std::string_view token) const {
  if (m != Method::Other) {
    const RouteTarget &t = known[static_cast<size_t>(m)];
    return t.kind == RouteTarget::Kind::None ? nullptr : &t;
  }
  for (const auto &entry : other)
    if (entry.first == token) return &entry.second;
  return nullptr;
}

RouteTarget *Router::MethodTable::slot(Method m, std::string_view token) {
  if (m != Method::Other) return &known[static_cast<size_t>(m)];
  for (auto &entry : other)
    if (entry.first == token) return &entry.second;
  other.emplace_back(std::string(token), RouteTarget{});
  return &other.back().second;
}

// Allow is computed once per registration, not per 405.
void Router::MethodTable::rebuild_allow() {
  allow.clear();
  auto append = [this](std::string_view name) {
    if (!allow.empty()) allow += ", ";
    allow += name;
  };
  for (size_t i = 0; i < static_cast<size_t>(Method::Other); ++i) {
    bool present = known[i].kind != RouteTarget::Kind::None;
    // HEAD is served by GET routes.
    if (i == static_cast<size_t>(Method::Head))
      present = present || known[static_cast<size_t>(Method::Get)].kind != RouteTarget::Kind::None;
    if (present) append(kMethodNames[i]);
  }
  for (const auto &entry : other) append(entry.first);
}

std::string Router::add(std::string_view method, std::string_view pattern, RouteTarget target) {
  if (pattern.empty() || pattern[0] != '/') return "route path must start with '/'";
  Method m = method_from(method);

  std::vector<Segment> segments;
  bool has_param = false;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view seg = pattern.substr(start, end - start);
    bool param = is_param_segment(seg);
    has_param = has_param || param;
    segments.push_back(Segment{std::string(param ? seg.substr(1) : seg), param});
    start = end + 1;
  }

  MethodTable *table = nullptr;
  if (!has_param) {
    auto it = exact_.find(pattern);
    if (it == exact_.end()) {
      exact_paths_.push_back(std::make_unique<std::string>(pattern));
      it = exact_.emplace(std::string_view(*exact_paths_.back()), MethodTable{}).first;
    }
    table = &it->second;
  } else {
    size_t params = 0;
    for (const auto &s : segments) params += s.is_param ? 1 : 0;
    if (params > RouteMatch::kMaxParams) return "too many :params in one route (at most 16)";
    for (auto &p : patterns_)
      if (p.source == pattern) table = &p.methods;
    if (!table) {
      patterns_.push_back(Pattern{std::string(pattern), std::move(segments), MethodTable{}});
      table = &patterns_.back().methods;
    }
  }
  RouteTarget *slot = table->slot(m, method);
  if (slot->kind != RouteTarget::Kind::None)
    return std::string("a route for ") + std::string(method) + " " + std::string(pattern) +
           " is already registered";
  *slot = target;
  table->rebuild_allow();
  *all_.slot(m, method) = target;
  all_.rebuild_allow();
  return {};
}

void Router::resolve(const MethodTable &table, Method m, std::string_view method, RouteMatch *out) const {
  const RouteTarget *t = table.find(m, method);
  if (!t && m == Method::Head) {
    t = table.find(Method::Get, method);
    out->head_as_get = t != nullptr;
  }
  if (t) {
    out->result = RouteMatch::Result::Found;
    out->target = *t;
  } else {
    out->result = RouteMatch::Result::MethodNotAllowed;
    out->allow = &table.allow;
  }
}

bool Router::match_pattern(const Pattern &p, std::string_view path, RouteMatch *out) const {
  size_t pos = 1, n = 0;
  out->num_params = 0;
  for (size_t i = 0; i < p.segments.size(); ++i) {
    if (pos > path.size()) return false;
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    const Segment &s = p.segments[i];
    if (s.is_param) {
      if (seg.empty()) return false;
      out->params[n++] = Param{static_cast<uint32_t>(pos), static_cast<uint32_t>(seg.size())};
    } else if (seg != s.literal) {
      return false;
    }
    pos = end + 1;
  }
  if (pos <= path.size()) return false; // path has more segments than the pattern
  out->num_params = static_cast<uint32_t>(n);
  return true;
}

void Router::match(Method m, std::string_view method, std::string_view path, RouteMatch *out) const {
  out->head_as_get = false;
  out->allow = nullptr;
  out->num_params = 0;
  auto it = exact_.find(path);
  if (it != exact_.end()) {
    resolve(it->second, m, method, out);
    return;
  }
  for (const auto &p : patterns_) {
    if (match_pattern(p, path, out)) {
      resolve(p.methods, m, method, out);
      return;
    }
  }
  out->result = RouteMatch::Result::NotFound;
}

} // namespace uvhttp
