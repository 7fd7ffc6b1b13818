#include "handlers/response_cache.h"

#include <algorithm>

#include "http/field_name.h"
#include "http/response.h"
#include "http/session.h"

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
    if (token_is(item, lower_token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Where a key's secondary part starts.
constexpr std::string_view kSecondary("\n\x02", 2);
// A waiter's head was parsed once with the session's room for fields: it parses again with as much.
constexpr size_t kMaxRequestFields = Session::kMaxHeaders;

} // namespace

bool unframe_streamed(std::string_view head, std::string_view framed_body, std::string *whole_head, std::string *body) {
  const size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return false;
  whole_head->assign(head.data(), line_end + 2);
  bool chunked = false, has_length = false;
  uint64_t length = 0;
  bool ok = true;
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (token_is(name, "transfer-encoding")) {
      chunked = token_is(value, "chunked");
      ok = ok && chunked; // JS frames with chunked or nothing else
    } else if (token_is(name, "content-length")) {
      has_length = !value.empty();
      for (const char c : value) {
        ok = ok && c >= '0' && c <= '9' && length < UINT64_MAX / 10;
        length = length * 10 + static_cast<uint64_t>(c - '0');
      }
    } else {
      whole_head->append(name.data(), name.size()).append(": ").append(value.data(), value.size()).append("\r\n");
    }
  });
  if (!ok || chunked == has_length) return false;
  body->assign(framed_body.data(), framed_body.size());
  if (chunked) {
    ChunkedDecoder decoder{};
    size_t len = body->size();
    // The whole coded body, and nothing after it.
    if (decode_chunked(&decoder, body->data(), &len) != 0) return false;
    body->resize(len);
  } else if (body->size() != length) {
    return false;
  }
  whole_head->append("Content-Length: ").append(std::to_string(body->size())).append("\r\n");
  return true;
}

void ResponseCache::append_values(std::string *out, const std::vector<std::string> &fields, const RequestHead &head) const {
  for (const std::string &name : fields) {
    // A separator no target holds (a raw LF cannot be in one), then the field's value, or \x01
    // when absent: an absent field and an empty one are different requests. No value starts with a
    // control byte, so "\n\x02" (the secondary key's start) cannot be a value's start.
    out->push_back('\n');
    bool found = false;
    for (size_t i = 0; i < head.num_headers; ++i) {
      const HeaderField &h = head.headers[i];
      if (!field_name_is(h, name)) continue;
      if (found) out->push_back(',');
      out->append(h.value, h.value_len);
      found = true;
    }
    if (!found) out->push_back('\x01');
  }
}

size_t ResponseCache::key(std::string *out, std::string_view target, const RequestHead &head) const {
  out->assign(target.data(), target.size());
  append_values(out, policy_.vary, head);
  const size_t primary = out->size();
  if (!variants_.empty()) {
    const auto v = variants_.find(std::string_view(*out));
    if (v != variants_.end()) {
      out->append(kSecondary);
      append_values(out, v->second->fields, head);
    }
  }
  return primary;
}

bool ResponseCache::key_of(std::string *out, std::string_view primary, std::string_view raw_request) const {
  out->assign(primary.data(), primary.size());
  const auto v = variants_.find(primary);
  if (v == variants_.end()) return true;
  HeaderField fields[kMaxRequestFields];
  RequestHead head{};
  head.headers = fields;
  head.num_headers = kMaxRequestFields;
  if (parse_request(raw_request.data(), raw_request.size(), &head, 0) <= 0) return false;
  out->append(kSecondary);
  append_values(out, v->second->fields, head);
  return true;
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

int CachedResponse::status() const { return status_code(head); }

std::string CachedResponse::partial_head(const ByteRange *range, uint64_t now_ms) const {
  // Its own fields but the framing ones, which now describe the part (RFC 9110 15.3.7).
  std::string out = range ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 416 Range Not Satisfiable\r\n";
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (token_is(name, "content-length") || token_is(name, "content-range")) return;
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

bool ResponseCache::shareable(std::string_view head, std::vector<std::string> *variant_fields) const {
  if (!cacheable_status(status_code(head))) return false;
  bool ok = true;
  std::vector<std::string> extra;
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (token_is(name, "set-cookie")) ok = false;
    else if (token_is(name, "cache-control")) {
      if (list_has(value, "no-store") || list_has(value, "private") || list_has(value, "no-cache")) ok = false;
    } else if (token_is(name, "vary")) {
      std::string_view list = value;
      while (ok && !list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (!item.empty()) {
          // "*" (or anything not a field name): no key could tell its requests apart.
          ok = ok && item != "*";
          for (const char c : item) ok = ok && is_tchar(c);
          std::string field(item);
          for (char &c : field) c = lower(c);
          bool known = false;
          for (const std::string &v : policy_.vary) known = known || v == field;
          for (const std::string &v : extra) known = known || v == field;
          if (ok && !known) extra.push_back(std::move(field));
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  });
  if (!ok || extra.size() > kMaxVariantFields) return false;
  std::sort(extra.begin(), extra.end());
  if (variant_fields) *variant_fields = std::move(extra);
  return true;
}

bool ResponseCache::offer(std::string_view primary, std::string_view raw_request, std::string_view head,
                          std::string_view body, uint64_t now_ms, std::string *stored) {
  std::vector<std::string> fields;
  if (!shareable(head, &fields)) return false;
  std::string key(primary);
  if (!fields.empty()) {
    HeaderField request_fields[kMaxRequestFields];
    RequestHead request{};
    request.headers = request_fields;
    request.num_headers = kMaxRequestFields;
    if (parse_request(raw_request.data(), raw_request.size(), &request, 0) <= 0) return false;
    key.append(kSecondary);
    append_values(&key, fields, request);
  }
  const size_t size = key.size() + head.size() + body.size() + sizeof(Node);
  if (size > policy_.max_bytes || policy_.max_entries == 0) return false;

  // The fields this answer varies on are its primary key's from now on; what was kept under others
  // could no longer be found.
  const auto v = variants_.find(primary);
  if (v == variants_.end() ? !fields.empty() : v->second->fields != fields) drop_primary(primary);
  Variants *variants = nullptr;
  if (!fields.empty()) {
    const auto it = variants_.find(primary);
    if (it != variants_.end()) {
      variants = it->second.get();
    } else {
      auto fresh = std::make_unique<Variants>();
      fresh->primary.assign(primary.data(), primary.size());
      fresh->fields = std::move(fields);
      variants = fresh.get();
      variants_.emplace(std::string_view(variants->primary), std::move(fresh));
    }
  }
  const auto old = index_.find(std::string_view(key));
  if (old != index_.end()) erase(old->second);

  std::string etag;
  each_field(head, [&](std::string_view name, std::string_view value) {
    if (token_is(name, "etag")) etag.assign(value.data(), value.size());
  });
  CachedResponse response;
  response.head.assign(head.data(), head.size());
  response.body.assign(body.data(), body.size());
  response.etag = std::move(etag);
  response.stored_ms = now_ms;
  if (stored) *stored = key;
  lru_.push_front(Node{std::move(key), primary.size(), std::move(response), size});
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  if (variants) ++variants->entries;
  bytes_ += size;
  ++stats_.stores;
  while (index_.size() > policy_.max_entries || bytes_ > policy_.max_bytes) {
    erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  return true;
}

void ResponseCache::drop_primary(std::string_view primary) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    const auto next = std::next(it);
    if (std::string_view(it->key).substr(0, it->primary_len) == primary) erase(it);
    it = next;
  }
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
  if (it->primary_len != it->key.size()) {
    const auto v = variants_.find(std::string_view(it->key).substr(0, it->primary_len));
    if (v != variants_.end() && --v->second->entries == 0) variants_.erase(v);
  }
  bytes_ -= it->size;
  lru_.erase(it);
}

} // namespace uvhttp
