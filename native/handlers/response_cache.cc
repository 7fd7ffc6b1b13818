#include "handlers/response_cache.h"

namespace uvhttp {

namespace {

// RFC 9110 15.1: the statuses cacheable by default (heuristically), which is what a route's answer
// without its own freshness information is.
bool cacheable_status(int status) {
  switch (status) {
  case 200: case 203: case 204: case 300: case 301: case 308: case 404: case 405: case 410: case 414: case 501:
    return true;
  default: return false;
  }
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool equals_lower(std::string_view s, std::string_view lower_name) {
  if (s.size() != lower_name.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (lower(s[i]) != lower_name[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(name, value) for each field line of a head (after its status line).
template <typename F> void each_field(std::string_view head, F f) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) f(line.substr(0, colon), trim(line.substr(colon + 1)));
    pos = end;
  }
}

// Whether a comma-separated list holds token (case-insensitively), e.g. a Cache-Control directive.
bool list_has(std::string_view list, std::string_view lower_token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos) item = trim(item.substr(0, eq));
    if (equals_lower(item, lower_token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

int status_of(std::string_view head) {
  if (head.size() < 12 || head[8] != ' ') return 0;
  int v = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    v = v * 10 + (head[i] - '0');
  }
  return v;
}

} // namespace

void ResponseCache::key(std::string *out, std::string_view target, const RequestHead &head) const {
  out->assign(target.data(), target.size());
  for (const std::string &name : policy_.vary) {
    // A separator no target holds (a raw LF cannot be in one), then the field's value, or \x01
    // when absent: an absent field and an empty one are different requests.
    out->push_back('\n');
    bool found = false;
    for (size_t i = 0; i < head.num_headers; ++i) {
      const HeaderField &h = head.headers[i];
      if (!equals_lower(std::string_view(h.name, h.name_len), name)) continue;
      if (found) out->push_back(',');
      out->append(h.value, h.value_len);
      found = true;
    }
    if (!found) out->push_back('\x01');
  }
}

std::string_view CachedResponse::head_at(uint64_t now_ms) {
  const uint64_t a = age(now_ms);
  if (a != aged_for_) {
    aged_head_.assign(head);
    aged_head_.append("Age: ");
    aged_head_.append(std::to_string(a));
    aged_head_.append("\r\n");
    aged_for_ = a;
  }
  return aged_head_;
}

int CachedResponse::status() const { return status_of(head); }

std::string CachedResponse::partial_head(const ByteRange *range, uint64_t now_ms) const {
  // Its own fields but the framing ones, which now describe the part (RFC 9110 15.3.7).
  std::string out = range ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 416 Range Not Satisfiable\r\n";
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (equals_lower(name, "content-length") || equals_lower(name, "content-range")) return;
    out.append(name.data(), name.size()).append(": ").append(value.data(), value.size()).append("\r\n");
  });
  const std::string size = std::to_string(body.size());
  if (range) {
    out += "Content-Range: bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" + size + "\r\n";
    out += "Content-Length: " + std::to_string(range->last - range->first + 1) + "\r\n";
  } else {
    out += "Content-Range: bytes */" + size + "\r\nContent-Length: 0\r\n";
  }
  out += "Age: " + std::to_string(age(now_ms)) + "\r\n";
  return out;
}

CachedResponse *ResponseCache::find(const std::string &key, uint64_t now_ms, bool *stale) {
  const auto it = index_.find(std::string_view(key));
  if (it == index_.end()) return nullptr;
  const auto node = it->second;
  const uint64_t age = now_ms - node->response.stored_ms;
  if (age >= policy_.ttl_ms + (stale ? policy_.stale_ms : 0)) {
    erase(node);
    return nullptr;
  }
  if (stale) *stale = age >= policy_.ttl_ms;
  lru_.splice(lru_.begin(), lru_, node); // iterators and the key's storage stay valid
  return &node->response;
}

bool ResponseCache::shareable(std::string_view head) const {
  if (!cacheable_status(status_of(head))) return false;
  bool ok = true;
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (equals_lower(name, "set-cookie")) ok = false;
    else if (equals_lower(name, "cache-control")) {
      if (list_has(value, "no-store") || list_has(value, "private") || list_has(value, "no-cache")) ok = false;
    } else if (equals_lower(name, "vary")) {
      // Every field it names must be one the key holds.
      std::string_view list = value;
      while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (!item.empty()) {
          bool covered = false;
          for (const std::string &v : policy_.vary) covered = covered || equals_lower(item, v);
          if (!covered) ok = false; // "*" too
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  });
  return ok;
}

bool ResponseCache::offer(const std::string &key, std::string_view head, std::string_view body, uint64_t now_ms) {
  if (!shareable(head)) return false;
  const size_t size = key.size() + head.size() + body.size() + sizeof(Node);
  if (size > policy_.max_bytes || policy_.max_entries == 0) return false;
  const auto old = index_.find(std::string_view(key));
  if (old != index_.end()) erase(old->second);

  std::string etag;
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (equals_lower(name, "etag")) etag.assign(value.data(), value.size());
  });
  CachedResponse response;
  response.head.assign(head.data(), head.size());
  response.body.assign(body.data(), body.size());
  response.etag = std::move(etag);
  response.stored_ms = now_ms;
  lru_.push_front(Node{key, std::move(response), size});
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  bytes_ += size;
  ++stats_.stores;
  while (index_.size() > policy_.max_entries || bytes_ > policy_.max_bytes) {
    erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  return true;
}

size_t ResponseCache::purge(std::string_view path) {
  size_t n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    const auto next = std::next(it);
    const std::string &k = it->key;
    // The key starts with the target; its path ends at '?', at the vary separator, or at the end.
    const bool match = path.empty() || (k.compare(0, path.size(), path) == 0 &&
                                        (k.size() == path.size() || k[path.size()] == '?' || k[path.size()] == '\n'));
    if (match) {
      erase(it);
      ++n;
    }
    it = next;
  }
  return n;
}

void ResponseCache::erase(std::list<Node>::iterator it) {
  index_.erase(std::string_view(it->key));
  bytes_ -= it->size;
  lru_.erase(it);
}

} // namespace uvhttp
