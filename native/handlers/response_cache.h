// The micro-cache of one JS route: the answers its handler gave, kept natively for a few milliseconds
// or seconds and served again without entering JavaScript, like a static route.
//
// A key has two parts. The primary key is the request-target (path and query) plus the values of the
// request fields the route names in `vary`; GET and HEAD share it. When an answer's Vary names other
// fields, the last answer for that primary key says which: their values are appended (the secondary
// key, as nginx keeps), so requests that differ in them are kept apart. Only an answer that may be
// shared is kept: a cacheable status, no Set-Cookie, no Cache-Control no-store, private or no-cache,
// and no `Vary: *`. Entries and bytes are bounded, the least recently used going first. No socket or
// clock of its own: the caller passes the time, so it is unit-tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/parser.h"
#include "http/range.h"

namespace uvhttp {

struct CachePolicy {
  uint64_t ttl_ms = 1000;
  // After ttl, for this long more, the entry is still served while one request refreshes it.
  uint64_t stale_ms = 0;
  size_t max_entries = 1000;
  size_t max_bytes = 16 * 1024 * 1024;
  std::vector<std::string> vary; // request field names, lower case
};

struct CachedResponse {
  std::string head; // status line and fields, CRLF-ended, without Date and Connection (as JS sent it)
  std::string body;
  std::string etag; // its ETag field's value, or empty
  uint64_t stored_ms;

  // head with its Age field (RFC 9111 5.1) at now_ms, made again only when the age in seconds
  // changes: a hit copies the head once, into the output.
  std::string_view head_at(uint64_t now_ms);
  // Age's value at now_ms.
  uint64_t age(uint64_t now_ms) const { return (now_ms - stored_ms) / 1000; }
  // The head of a 206 for range of this (200) answer, or of a 416 when range is null.
  std::string partial_head(const ByteRange *range, uint64_t now_ms) const;
  int status() const;

private:
  std::string aged_head_;
  uint64_t aged_for_ = UINT64_MAX;
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t stores = 0;
  uint64_t evictions = 0; // pushed out by the limits (not expiry, not purge)
  uint64_t stale = 0;     // answers served past their ttl while one request refreshed them
  uint64_t coalesced = 0; // misses that waited for another request's answer instead of running the handler
};

// A streamed answer (the head JS sent, ending in its framing field, and the body as framed) as a whole
// one: its chunked body decoded and its framing a Content-Length, as a hit sends it. False when it
// is not one: no framing field, bad chunks, or a body that is not its Content-Length.
bool unframe_streamed(std::string_view head, std::string_view framed_body, std::string *whole_head, std::string *body);

class ResponseCache {
public:
  explicit ResponseCache(CachePolicy policy) : policy_(std::move(policy)) {}

  // The key of a request to this route: its target, each vary field's value, then the values of the
  // fields its primary key's last answer named in Vary. Returns the primary key's length.
  size_t key(std::string *out, std::string_view target, const RequestHead &head) const;
  // The same for a request known by its primary key and its head as received (one that waited while
  // its answer was made, its parsed head long gone). False when raw_request does not parse.
  bool key_of(std::string *out, std::string_view primary, std::string_view raw_request) const;
  // The entry for key, or null (one past ttl and the stale time is dropped on the way). *stale: it is
  // past its ttl (only with a stale time).
  CachedResponse *find(const std::string &key, uint64_t now_ms, bool *stale = nullptr);
  // A JS handler's whole answer to a GET with this primary key and this head as received: kept when it
  // may be shared (see above), under the key its Vary makes (in *stored). Its Vary's fields become the
  // primary key's: entries kept under other ones are dropped. Returns whether it was kept.
  bool offer(std::string_view primary, std::string_view raw_request, std::string_view head, std::string_view body,
             uint64_t now_ms, std::string *stored = nullptr);
  // Drops the entries whose target's path is path (any query, any vary values); every entry when
  // path is empty. Returns how many.
  size_t purge(std::string_view path);

  size_t entries() const { return index_.size(); }
  size_t max_bytes() const { return policy_.max_bytes; }
  size_t bytes() const { return bytes_; }
  CacheStats &stats() { return stats_; }
  const CacheStats &stats() const { return stats_; }

  // Whether a response head allows sharing under this policy, and the fields its Vary names beyond the
  // route's own (lower case, sorted, each once) into *variant_fields (exposed for the unit test).
  bool shareable(std::string_view head, std::vector<std::string> *variant_fields = nullptr) const;

  // More fields than this in one Vary: not kept (each is a copy of a value in every key).
  static constexpr size_t kMaxVariantFields = 8;

private:
  struct Node {
    std::string key;
    size_t primary_len; // key's primary part; the rest is the secondary key, if any
    CachedResponse response;
    size_t size;
  };
  // A primary key whose answers vary on fields of their own, and how many entries it has.
  struct Variants {
    std::string primary;
    std::vector<std::string> fields;
    size_t entries = 0;
  };
  void append_values(std::string *out, const std::vector<std::string> &fields, const RequestHead &head) const;
  void drop_primary(std::string_view primary);
  void erase(std::list<Node>::iterator it);

  CachePolicy policy_;
  std::list<Node> lru_; // most recently used first
  std::unordered_map<std::string_view, std::list<Node>::iterator> index_; // views of the nodes' keys
  // By primary key (views of Variants::primary); empty unless some answer varies beyond the route.
  std::unordered_map<std::string_view, std::unique_ptr<Variants>> variants_;
  size_t bytes_ = 0;
  CacheStats stats_;
};

} // namespace uvhttp
