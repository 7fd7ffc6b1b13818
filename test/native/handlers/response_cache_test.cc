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
  check(c.offer("/a", "", kOk, "ok", 1000), "stored");
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
      "HTTP/1.1 200 OK\r\nVary: *\r\n",
      "HTTP/1.1 200 OK\r\nVary: Accept-Language, *\r\n",
      "HTTP/1.1 200 OK\r\nVary: Bad Field\r\n",
      "HTTP/1.1 200 OK\r\nVary: a, b, c, d, e, f, g, h, i\r\n",
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
      "HTTP/1.1 200 OK\r\nVary: Accept-Language, Cookie\r\n",
      "HTTP/1.1 200 OK\r\nVary: a, b, c, d, e, f, g, h\r\n",
      "HTTP/1.1 404 Not Found\r\n",
      "HTTP/1.1 301 Moved Permanently\r\nLocation: /b\r\n",
      "HTTP/1.1 204 No Content\r\n",
      "HTTP/1.1 200 OK\r\nX-Set-Cookie-Note: fine\r\n",
  };
  for (const char *h : yes) check(c.shareable(h), std::string("shared: ") + h);
  check(!c.offer("/s", "", "HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\n", "x", 0) && c.entries() == 0, "offer refuses what may not be shared");
  c.offer("/e", "", "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n", "x", 0);
  const auto *e = c.find("/e", 1);
  check(e && e->etag == "\"v1\"", "the ETag is kept");
}

void bounds() {
  ResponseCache c(policy(1000, 3));
  for (int i = 0; i < 3; ++i) c.offer("/" + std::to_string(i), "", kOk, "ok", 0);
  c.find("/0", 1); // most recently used now
  c.offer("/3", "", kOk, "ok", 1);
  check(c.entries() == 3 && c.stats().evictions == 1, "one evicted");
  check(c.find("/1", 2) == nullptr && c.find("/0", 2) && c.find("/2", 2) && c.find("/3", 2), "the least recently used went");
  ResponseCache b(policy(1000, 100, 1000));
  check(!b.offer("/huge", "", kOk, std::string(2000, 'x'), 0), "larger than maxBytes: not kept");
  for (int i = 0; i < 20; ++i) b.offer("/" + std::to_string(i), "", kOk, std::string(100, 'x'), 0);
  check(b.bytes() <= 1000 && b.entries() < 20, "within maxBytes: " + std::to_string(b.bytes()));
  b.offer("/1", "", kOk, "replaced", 0);
  const auto *r = b.find("/1", 1);
  check(r && r->body == "replaced", "a second offer replaces the entry");
}

void purge() {
  ResponseCache c(policy(1000, 100, 1 << 20, {"x"}));
  std::string k1, k2;
  c.key(&k1, "/a", Head(Fields{}).head);
  c.key(&k2, "/a?x=1", Head(Fields{{"x", "v"}}).head);
  c.offer(k1, "", kOk, "1", 0);
  c.offer(k2, "", kOk, "2", 0);
  c.offer("/ab\n\x01", "", kOk, "3", 0);
  c.offer("/b", "", kOk, "4", 0);
  check(c.purge("/a") == 2, "a path under every query and vary value");
  check(c.entries() == 2, "/ab and /b stay");
  check(c.purge("") == 2 && c.entries() == 0 && c.bytes() == 0, "everything");
}

// An answer whose Vary names fields the route does not: keyed on them too (the secondary key).
void variants() {
  ResponseCache c(policy(1000, 100, 1 << 20, {"accept-language"}));
  const std::string gzip_raw = "GET /p HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nAccept-Language: fr\r\n\r\n";
  const std::string br_raw = "GET /p HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nAccept-Language: fr\r\n\r\n";
  const Head gzip(Fields{{"Host", "a"}, {"accept-encoding", "gzip"}, {"Accept-Language", "fr"}});
  const Head br(Fields{{"Host", "a"}, {"Accept-Encoding", "br"}, {"Accept-Language", "fr"}});
  const Head none(Fields{{"Host", "a"}, {"Accept-Language", "fr"}});
  std::string p, k;
  const size_t primary_len = c.key(&p, "/p", gzip.head);
  check(primary_len == p.size(), "no answer yet: the primary key is the key");
  const std::string primary = p;
  const std::string varies = "HTTP/1.1 200 OK\r\nVary: Accept-Encoding, accept-language\r\nContent-Length: 1\r\n";
  std::string stored_gzip, stored_br;
  check(c.offer(primary, gzip_raw, varies, "g", 0, &stored_gzip) && stored_gzip != primary, "kept under a secondary key");
  check(c.key(&k, "/p", gzip.head) == primary.size() && k == stored_gzip, "the same values: that key");
  check(c.find(k, 1) && c.find(k, 1)->body == "g", "and its answer");
  c.key(&k, "/p", br.head);
  check(k != stored_gzip && c.find(k, 1) == nullptr, "another Accept-Encoding: a miss, not the gzip answer");
  c.key(&k, "/p", none.head);
  check(k != stored_gzip && c.find(k, 1) == nullptr, "no Accept-Encoding: a miss too");
  check(c.offer(primary, br_raw, varies, "b", 1, &stored_br) && stored_br != stored_gzip, "the br answer");
  check(c.find(stored_gzip, 2) && c.find(stored_gzip, 2)->body == "g" && c.find(stored_br, 2)->body == "b",
        "both kept side by side");
  check(c.key_of(&k, primary, gzip_raw) && k == stored_gzip, "a raw head gives the key a parsed one does");
  check(!c.key_of(&k, primary, "not a request"), "a raw head that does not parse");
  const std::string same_fields = "HTTP/1.1 200 OK\r\nvary: accept-language\r\nVary: ACCEPT-ENCODING\r\nContent-Length: 1\r\n";
  check(c.offer(primary, br_raw, same_fields, "B", 3) && c.entries() == 2, "the same fields in another order or case keep the others");
  check(c.offer(primary, gzip_raw, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "plain", 4) && c.entries() == 1,
        "an answer that no longer varies drops the variants");
  check(c.key(&k, "/p", br.head) == k.size() && k == primary && c.find(k, 5)->body == "plain", "and the key is the primary again");
  check(c.offer(primary, gzip_raw, varies, "g", 6) && c.entries() == 1 && c.find(primary, 7) == nullptr,
        "varying again drops the plain entry");
  check(c.purge("/p") == 1 && c.key(&k, "/p", gzip.head) == k.size(), "purged: the primary key forgets its fields");
  std::string other;
  c.key(&other, "/q", gzip.head);
  c.offer(other, gzip_raw, "HTTP/1.1 200 OK\r\nVary: Cookie\r\n", "c", 8);
  c.key(&k, "/p", gzip.head);
  check(k == primary, "another target's fields are its own");
  check(!c.offer(primary, "not a request", varies, "x", 9), "a request that does not parse is not kept under its values");
}

void streamed() {
  std::string head, body;
  const std::string chunked_head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n";
  check(uvhttp::unframe_streamed(chunked_head, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &head, &body) &&
            head == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n" && body == "hello world",
        "chunks decoded, Content-Length for Transfer-Encoding");
  check(uvhttp::unframe_streamed(chunked_head, "0\r\n\r\n", &head, &body) && body.empty() &&
            head.find("Content-Length: 0\r\n") != std::string::npos,
        "an empty streamed body");
  check(!uvhttp::unframe_streamed(chunked_head, "5\r\nhello\r\n", &head, &body), "no last chunk: not whole");
  check(!uvhttp::unframe_streamed(chunked_head, "5\r\nhelloX\r\n0\r\n\r\n", &head, &body), "bad chunks");
  check(!uvhttp::unframe_streamed(chunked_head, "0\r\n\r\nextra", &head, &body), "bytes after the last chunk");
  const std::string length_head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n";
  check(uvhttp::unframe_streamed(length_head, "hello", &head, &body) && head == length_head && body == "hello",
        "a Content-Length body as it is");
  check(!uvhttp::unframe_streamed(length_head, "hell", &head, &body), "shorter than its Content-Length");
  check(!uvhttp::unframe_streamed("HTTP/1.1 200 OK\r\n", "x", &head, &body), "no framing field");
  check(!uvhttp::unframe_streamed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n", &head, &body),
        "a coding JS does not send");
}

} // namespace

int main() {
  keys();
  freshness();
  sharing();
  bounds();
  purge();
  variants();
  streamed();
  return check::summary("response_cache");
}
