// Unit tests for the micro-cache (native/handlers/response_cache.h) on its own: keys, freshness by the
// caller's clock, what may be shared, the LRU bounds and purge.
#include <string>
#include <vector>

#include "check.h"
#include "handlers/response_cache.h"

using uvhttp::CachePolicy;
using uvhttp::HeaderField;
using uvhttp::RequestHead;
using uvhttp::ResponseCache;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Head {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<HeaderField> storage;
  RequestHead head{};
  explicit Head(std::vector<std::pair<std::string, std::string>> f) : fields(std::move(f)) {
    for (auto &kv : fields) storage.push_back(HeaderField{kv.first.data(), kv.first.size(), kv.second.data(), kv.second.size()});
    head.headers = storage.data();
    head.num_headers = storage.size();
  }
};

CachePolicy policy(uint64_t ttl, size_t entries = 100, size_t bytes = 1 << 20, std::vector<std::string> vary = {}) {
  CachePolicy p;
  p.ttl_ms = ttl;
  p.max_entries = entries;
  p.max_bytes = bytes;
  p.vary = std::move(vary);
  return p;
}

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";

void keys() {
  ResponseCache c(policy(10, 100, 1 << 20, {"accept-language", "x-v"}));
  std::string a, b, d, e;
  c.key(&a, "/p?q=1", Head(Fields{{"Accept-Language", "fr"}}).head);
  c.key(&b, "/p?q=1", Head(Fields{{"accept-language", "fr"}, {"Other", "x"}}).head);
  c.key(&d, "/p?q=1", Head(Fields{{"accept-language", ""}}).head);
  c.key(&e, "/p?q=1", Head(Fields{}).head);
  check(a == b, "field names compare case-insensitively, other fields do not count");
  check(a != d && d != e && a != e, "a value, an empty value and no field are three keys");
  std::string two;
  c.key(&two, "/p?q=1", Head(Fields{{"x-v", "1"}, {"X-V", "2"}}).head);
  check(two.find("1,2") != std::string::npos, "repeated fields join in order");
}

void freshness() {
  ResponseCache c(policy(100));
  check(c.offer("/a", kOk, "ok", 1000), "stored");
  check(c.find("/a", 1000) != nullptr && c.find("/a", 1099) != nullptr, "fresh before ttl");
  check(c.find("/a", 1100) == nullptr, "stale at ttl");
  check(c.entries() == 0 && c.bytes() == 0, "an expired entry is dropped when found");
  check(c.find("/none", 0) == nullptr, "a miss");
}

void sharing() {
  ResponseCache c(policy(100, 100, 1 << 20, {"accept-language"}));
  const char *no[] = {
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\n",
      "HTTP/1.1 200 OK\r\nset-cookie: a=b\r\n",
      "HTTP/1.1 200 OK\r\nCache-Control: private\r\n",
      "HTTP/1.1 200 OK\r\nCache-Control: max-age=5, no-store\r\n",
      "HTTP/1.1 200 OK\r\ncache-control: No-Cache\r\n",
      "HTTP/1.1 200 OK\r\nCache-Control: no-cache=\"set-cookie\"\r\n",
      "HTTP/1.1 200 OK\r\nVary: Accept-Language, Cookie\r\n",
      "HTTP/1.1 200 OK\r\nVary: *\r\n",
      "HTTP/1.1 201 Created\r\n",
      "HTTP/1.1 302 Found\r\n",
      "HTTP/1.1 500 Internal Server Error\r\n",
      "HTTP/1.1 503 Service Unavailable\r\n",
      "garbage",
  };
  for (const char *h : no) check(!c.shareable(h), std::string("not shared: ") + h);
  const char *yes[] = {
      "HTTP/1.1 200 OK\r\n",
      "HTTP/1.1 200 OK\r\nCache-Control: public, max-age=60\r\n",
      "HTTP/1.1 200 OK\r\nVary: accept-language\r\n",
      "HTTP/1.1 404 Not Found\r\n",
      "HTTP/1.1 301 Moved Permanently\r\nLocation: /b\r\n",
      "HTTP/1.1 204 No Content\r\n",
      "HTTP/1.1 200 OK\r\nX-Set-Cookie-Note: fine\r\n",
  };
  for (const char *h : yes) check(c.shareable(h), std::string("shared: ") + h);
  check(!c.offer("/s", "HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\n", "x", 0) && c.entries() == 0, "offer refuses what may not be shared");
  c.offer("/e", "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n", "x", 0);
  const auto *e = c.find("/e", 1);
  check(e && e->etag == "\"v1\"", "the ETag is kept");
}

void bounds() {
  ResponseCache c(policy(1000, 3));
  for (int i = 0; i < 3; ++i) c.offer("/" + std::to_string(i), kOk, "ok", 0);
  c.find("/0", 1); // most recently used now
  c.offer("/3", kOk, "ok", 1);
  check(c.entries() == 3 && c.stats().evictions == 1, "one evicted");
  check(c.find("/1", 2) == nullptr && c.find("/0", 2) && c.find("/2", 2) && c.find("/3", 2), "the least recently used went");
  ResponseCache b(policy(1000, 100, 1000));
  check(!b.offer("/huge", kOk, std::string(2000, 'x'), 0), "larger than maxBytes: not kept");
  for (int i = 0; i < 20; ++i) b.offer("/" + std::to_string(i), kOk, std::string(100, 'x'), 0);
  check(b.bytes() <= 1000 && b.entries() < 20, "within maxBytes: " + std::to_string(b.bytes()));
  b.offer("/1", kOk, "replaced", 0);
  const auto *r = b.find("/1", 1);
  check(r && r->body == "replaced", "a second offer replaces the entry");
}

void purge() {
  ResponseCache c(policy(1000, 100, 1 << 20, {"x"}));
  std::string k1, k2;
  c.key(&k1, "/a", Head(Fields{}).head);
  c.key(&k2, "/a?x=1", Head(Fields{{"x", "v"}}).head);
  c.offer(k1, kOk, "1", 0);
  c.offer(k2, kOk, "2", 0);
  c.offer("/ab\n\x01", kOk, "3", 0);
  c.offer("/b", kOk, "4", 0);
  check(c.purge("/a") == 2, "a path under every query and vary value");
  check(c.entries() == 2, "/ab and /b stay");
  check(c.purge("") == 2 && c.entries() == 0 && c.bytes() == 0, "everything");
}

} // namespace

int main() {
  keys();
  freshness();
  sharing();
  bounds();
  purge();
  return check::summary("response_cache");
}
