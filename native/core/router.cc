#include "core/router.h"

namespace uvhttp {

namespace {

const char *const kMethodNames[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
constexpr size_t kKnown = static_cast<size_t>(Method::Other);

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

RouteError invalid(std::string_view pattern, const std::string &why) {
  return RouteError{RouteError::Kind::Invalid, "invalid route path \"" + std::string(pattern) + "\": " + why};
}

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

// The routes that end at one place in the tree, one per method.
struct Router::MethodTable {
  RouteTarget known[kKnown];
  std::vector<std::pair<std::string, RouteTarget>> other;
  std::string allow; // computed once per registration, not per 405

  const RouteTarget *find(Method m, std::string_view token) const {
    if (m != Method::Other) {
      const RouteTarget &t = known[static_cast<size_t>(m)];
      return t.kind == RouteTarget::Kind::None ? nullptr : &t;
    }
    for (const auto &entry : other)
      if (entry.first == token) return &entry.second;
    return nullptr;
  }

  // The route answering m here: its own, or for HEAD the GET route's.
  const RouteTarget *answer(Method m, std::string_view token, bool *head_as_get) const {
    const RouteTarget *t = find(m, token);
    if (!t && m == Method::Head) {
      t = find(Method::Get, token);
      *head_as_get = t != nullptr;
    }
    return t;
  }

  RouteTarget *slot(Method m, std::string_view token) {
    if (m != Method::Other) return &known[static_cast<size_t>(m)];
    for (auto &entry : other)
      if (entry.first == token) return &entry.second;
    other.emplace_back(std::string(token), RouteTarget{});
    return &other.back().second;
  }

  void merge(const MethodTable &from) {
    for (size_t i = 0; i < kKnown; ++i)
      if (from.known[i].kind != RouteTarget::Kind::None) known[i] = from.known[i];
    for (const auto &entry : from.other) *slot(Method::Other, entry.first) = entry.second;
  }

  void rebuild_allow() {
    allow.clear();
    auto append = [this](std::string_view name) {
      if (!allow.empty()) allow += ", ";
      allow += name;
    };
    for (size_t i = 0; i < kKnown; ++i) {
      bool present = known[i].kind != RouteTarget::Kind::None;
      // HEAD is served by GET routes.
      if (i == static_cast<size_t>(Method::Head))
        present = present || known[static_cast<size_t>(Method::Get)].kind != RouteTarget::Kind::None;
      if (present) append(kMethodNames[i]);
    }
    for (const auto &entry : other) append(entry.first);
  }
};

struct Router::Node {
  std::string segment; // a literal child's text: the key its parent's map views
  std::string path;    // for a node where a route of exact segments ends: its whole path (exact_'s key)
  std::unordered_map<std::string_view, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> param;
  std::unique_ptr<MethodTable> routes;   // routes that end here
  std::unique_ptr<MethodTable> wildcard; // routes that end here with "/*"
};

Router::Router() : root_(std::make_unique<Node>()), all_(std::make_unique<MethodTable>()) {}
Router::~Router() = default;

const std::string &Router::methods() const { return all_->allow; }

std::string_view Router::trimmed(std::string_view path) const {
  if (ignore_trailing_slash_ && path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

RouteError Router::add(std::string_view method, std::string_view pattern, RouteTarget target) {
  if (pattern.empty() || pattern[0] != '/') return invalid(pattern, "it must start with '/'");
  const std::string_view path = trimmed(pattern);

  // Split into segments and check them all before the tree changes.
  std::vector<std::string_view> segments;
  for (size_t start = 1;;) {
    size_t end = path.find('/', start);
    segments.push_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<std::string_view> names;
  bool wildcard = false, exact = true;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    const bool last = i + 1 == segments.size();
    if (seg.find_first_of("?#") != std::string_view::npos) return invalid(pattern, "a route path has no query or fragment");
    if (seg == "*") {
      if (!last) return invalid(pattern, "the wildcard '*' must be the last segment");
      wildcard = true;
      exact = false;
      names.push_back(seg);
    } else if (seg.find('*') != std::string_view::npos) {
      return invalid(pattern, "'*' must be a whole segment (\"/files/*\")");
    } else if (!seg.empty() && seg[0] == ':') {
      std::string_view name = seg.substr(1);
      if (name.empty()) return invalid(pattern, "a ':' param needs a name");
      for (char c : name)
        if (!name_char(c)) return invalid(pattern, "param :" + std::string(name) + " may hold only letters, digits and '_'");
      for (std::string_view n : names)
        if (n == name) return invalid(pattern, "param :" + std::string(name) + " appears twice");
      names.push_back(name);
      exact = false;
    } else if (seg.empty() && !last) {
      return invalid(pattern, "an empty segment (\"//\")");
    }
  }
  if (names.size() > RouteMatch::kMaxParams) return invalid(pattern, "more than 16 params and wildcards");

  Node *node = root_.get();
  const size_t walked = wildcard ? segments.size() - 1 : segments.size();
  for (size_t i = 0; i < walked; ++i) {
    std::string_view seg = segments[i];
    if (!seg.empty() && seg[0] == ':') {
      if (!node->param) node->param = std::make_unique<Node>();
      node = node->param.get();
      continue;
    }
    auto it = node->literals.find(seg);
    if (it == node->literals.end()) {
      auto child = std::make_unique<Node>();
      child->segment = std::string(seg);
      it = node->literals.emplace(std::string_view(child->segment), std::move(child)).first;
    }
    node = it->second.get();
  }
  std::unique_ptr<MethodTable> &table = wildcard ? node->wildcard : node->routes;
  if (!table) table = std::make_unique<MethodTable>();
  Method m = method_from(method);
  RouteTarget *slot = table->slot(m, method);
  if (slot->kind != RouteTarget::Kind::None)
    return RouteError{RouteError::Kind::Duplicate, "a route for " + std::string(method) + " " + std::string(pattern) +
                                                       " is already registered (the same path, whatever its params are named)"};
  *slot = target;
  table->rebuild_allow();
  if (exact && node->path.empty()) {
    node->path = std::string(path);
    exact_.emplace(std::string_view(node->path), table.get());
  }
  has_patterns_ = has_patterns_ || !exact;
  *all_->slot(m, method) = target;
  all_->rebuild_allow();
  return {};
}

const RouteTarget *Router::walk(const Node &node, std::string_view path, size_t pos, Method m,
                                std::string_view method, RouteMatch *out) const {
  size_t end = path.find('/', pos);
  const bool last = end == std::string_view::npos;
  if (last) end = path.size();
  const std::string_view seg = path.substr(pos, end - pos);
  // Each step takes one segment, so a node is reached at one position only: trying the alternatives
  // in turn visits each node at most once, whatever the routes.
  auto it = node.literals.find(seg);
  if (it != node.literals.end()) {
    const Node &child = *it->second;
    if (last) {
      if (child.routes)
        if (const RouteTarget *t = child.routes->answer(m, method, &out->head_as_get)) return t;
    } else if (const RouteTarget *t = walk(child, path, end + 1, m, method, out)) {
      return t;
    }
  }
  if (node.param && !seg.empty()) {
    const uint32_t n = out->num_params++;
    out->params[n] = Param{static_cast<uint32_t>(pos), static_cast<uint32_t>(seg.size())};
    const Node &child = *node.param;
    if (last) {
      if (child.routes)
        if (const RouteTarget *t = child.routes->answer(m, method, &out->head_as_get)) return t;
    } else if (const RouteTarget *t = walk(child, path, end + 1, m, method, out)) {
      return t;
    }
    out->num_params = n;
  }
  if (node.wildcard)
    if (const RouteTarget *t = node.wildcard->answer(m, method, &out->head_as_get)) {
      out->params[out->num_params++] = Param{static_cast<uint32_t>(pos), static_cast<uint32_t>(path.size() - pos)};
      return t;
    }
  return nullptr;
}

void Router::collect(const Node &node, std::string_view path, size_t pos, MethodTable *into) const {
  size_t end = path.find('/', pos);
  const bool last = end == std::string_view::npos;
  if (last) end = path.size();
  const std::string_view seg = path.substr(pos, end - pos);
  auto visit = [&](const Node &child) {
    if (!last) {
      collect(child, path, end + 1, into);
    } else if (child.routes) {
      into->merge(*child.routes);
    }
  };
  auto it = node.literals.find(seg);
  if (it != node.literals.end()) visit(*it->second);
  if (node.param && !seg.empty()) visit(*node.param);
  if (node.wildcard) into->merge(*node.wildcard);
}

void Router::match(Method m, std::string_view method, std::string_view path, RouteMatch *out) const {
  out->head_as_get = false;
  out->allow = nullptr;
  out->num_params = 0;
  path = trimmed(path);
  if (path.empty() || path[0] != '/') {
    out->result = RouteMatch::Result::NotFound;
    return;
  }
  auto it = exact_.find(path);
  const MethodTable *exact = it != exact_.end() ? it->second : nullptr;
  if (exact) {
    if (const RouteTarget *t = exact->answer(m, method, &out->head_as_get)) {
      out->result = RouteMatch::Result::Found;
      out->target = *t;
      return;
    }
    if (!has_patterns_) {
      out->result = RouteMatch::Result::MethodNotAllowed;
      out->allow = &exact->allow;
      return;
    }
  }
  if (has_patterns_) {
    if (const RouteTarget *t = walk(*root_, path, 1, m, method, out)) {
      out->result = RouteMatch::Result::Found;
      out->target = *t;
      return;
    }
    out->num_params = 0;
    // No route answers this method here: a 405 if some route answers another.
    MethodTable allowed;
    collect(*root_, path, 1, &allowed);
    allowed.rebuild_allow();
    if (!allowed.allow.empty()) {
      allow_scratch_ = std::move(allowed.allow);
      out->result = RouteMatch::Result::MethodNotAllowed;
      out->allow = &allow_scratch_;
      return;
    }
  }
  out->result = RouteMatch::Result::NotFound;
}

} // namespace uvhttp
