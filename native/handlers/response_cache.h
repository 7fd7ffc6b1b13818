// The micro-cache of one JS route: the answers its handler gave, kept natively for a few milliseconds
// or seconds and served again without entering JavaScript, like a static route.
//
// A key is the request-target (path and query) plus the values of the request fields the route
// names in `vary`; GET and HEAD share it. Only an answer that may be shared is kept: a cacheable
// status, no Set-Cookie, no Cache-Control no-store, private or no-cache, and a Vary that names no
// field outside the route's `vary` (the key would not tell those requests apart). Entries and bytes
// are bounded, the least recently used going first. No socket or clock of its own: the caller passes
// the time, so it is unit-tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
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

class ResponseCache {
public:
  explicit ResponseCache(CachePolicy policy) : policy_(std::move(policy)) {}

  // The key of a request to this route: its target, then each vary field's value.
  void key(std::string *out, std::string_view target, const RequestHead &head) const;
  // The entry for key, or null (one past ttl and the stale time is dropped on the way). *stale: it is
  // past its ttl (only with a stale time).
  CachedResponse *find(const std::string &key, uint64_t now_ms, bool *stale = nullptr);
  // A JS handler's whole answer to a GET with this key: kept when it may be shared (see above).
  // Returns whether it was.
  bool offer(const std::string &key, std::string_view head, std::string_view body, uint64_t now_ms);
  // Drops the entries whose target's path is path (any query, any vary values); every entry when
  // path is empty. Returns how many.
  size_t purge(std::string_view path);

  size_t entries() const { return index_.size(); }
  size_t bytes() const { return bytes_; }
  CacheStats &stats() { return stats_; }
  const CacheStats &stats() const { return stats_; }

  // Whether a response head allows sharing under this policy (exposed for the unit test).
  bool shareable(std::string_view head) const;

private:
  struct Node {
    std::string key;
    CachedResponse response;
    size_t size;
  };
  void erase(std::list<Node>::iterator it);

  CachePolicy policy_;
  std::list<Node> lru_; // most recently used first
  std::unordered_map<std::string_view, std::list<Node>::iterator> index_; // views of the nodes' keys
  size_t bytes_ = 0;
  CacheStats stats_;
};

} // namespace uvhttp
