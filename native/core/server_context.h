// What the connections of one server share, as plain data: options, counters, routes, the request
// batch, the date, the shared read buffer and the lists the server works through once per loop
// iteration. A connection sees this and the ConnectionOwner interface, never the Server itself.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <utility>
#include <vector>

#include "core/access_log.h"
#include "core/batch.h"
#include "core/buffer_pool.h"
#include "handlers/response_cache.h"
#include "handlers/static_files.h"
#include "http/date_cache.h"
#include "http/response.h"
#include "core/router.h"
#include "http/session.h"
#include "io/poll_group.h"

namespace uvhttp {

class Connection;

struct ServerOptions {
  SessionLimits limits;
  uint32_t max_connections = 0; // 0: no limit beyond the fd limit
  uint64_t headers_timeout_ms = 60000;
  uint64_t request_timeout_ms = 300000;
  // From a request's first byte to its response; 0: a handler may take as long as it likes. Set only
  // when the user set requestTimeout, so by default no timeout fires while a handler works.
  uint64_t response_timeout_ms = 0;
  uint64_t keep_alive_timeout_ms = 5000;
  // A streamed request body that brings no byte for this long, while the server reads it, fails (408).
  uint64_t body_timeout_ms = 60000;
  uint64_t write_timeout_ms = 30000; // a write that makes no progress for this long ends the connection
  size_t max_output = 1024 * 1024;   // per connection: stop reading past this much unsent output
  FileCacheLimits file_cache;
  bool ignore_trailing_slash = false; // "/a/" routes as "/a"
  bool proxy_protocol = false;        // every accepted connection starts with a PROXY header
  PollBackend poll_backend = kDefaultPollBackend; // where sockets' readiness comes from (io/poll_group.h)
};

// How a JS route takes request bodies: buffered (the default) or streamed, within its own limit or
// the server's bodyLimit.
struct RouteBody {
  bool stream = false;
  bool has_limit = false;
  uint64_t limit = 0; // UINT64_MAX: none (streamed only)
};

struct ServerStats {
  uint64_t connections = 0;
  uint64_t connections_total = 0;
  uint64_t connections_rejected = 0;
  uint64_t connections_forced = 0; // closed by close()'s deadline with work left
  uint64_t requests = 0;
  uint64_t js_dispatches = 0;
  uint64_t responses_dropped = 0; // answers from JS for a connection that had gone
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t parse_errors = 0;
  uint64_t timeouts = 0;
};

// A connection for as long as it lives: its slot in the server's table and a serial number that no
// other connection of the server ever has (64 bits: it cannot wrap), so an answer for a connection
// that has gone never finds the connection that took its slot.
struct ConnectionId {
  uint32_t slot;
  uint64_t serial;
};

// Responses JS owes that will never be sent: those of connection id from sequence number from_seq on
// (sequence numbers wrap: "on" is within 2^31 after it).
struct AbortedResponses {
  ConnectionId id;
  uint32_t from_seq;
};

// A cached route's miss on its way through JS: its answer fills the cache under key. Keyed by the
// response it waits for (connection slot, serial, sequence number), so the answer fills the cache
// even when its own connection has gone meanwhile.
// A request to a cached route that arrived while another with its key was in JS: it waits for that
// answer (its response slot is reserved), and asks JS itself when the answer is not kept.
struct CacheWaiter {
  ConnectionId conn;
  uint32_t seq;
  std::string request; // its head as received (a GET or HEAD has no body), to route it again
};
struct CacheFill {
  uint32_t handler;
  std::string primary; // its primary key (ResponseCache::key): the answer's Vary completes the key
  std::string tagged;  // its key and handler when it went to JS: its entry in ServerContext::filling
  std::string request; // its head as received, for the values of the fields the answer's Vary names
  std::vector<CacheWaiter> waiters;
  // A streamed answer so far (its head, its body as framed): kept if it ends within the cache's bound.
  std::string head, body;
};
struct ResponseId {
  uint32_t slot;
  uint64_t serial;
  uint32_t seq;
  bool operator==(const ResponseId &o) const { return slot == o.slot && serial == o.serial && seq == o.seq; }
};
struct ResponseIdHash {
  size_t operator()(const ResponseId &r) const {
    return std::hash<uint64_t>()(r.serial * 0x9e3779b97f4a7c15ull ^ (uint64_t(r.slot) << 32 | r.seq));
  }
};

class ConnectionOwner {
public:
  virtual ~ConnectionOwner() = default;
  // The connection's socket is closed; the owner deletes it.
  virtual void connection_closed(Connection *c) = 0;
};

struct ServerContext {
  ServerContext(uv_loop_t *l, const ServerOptions &o, BatchStorage *storage)
      : loop(l), options(o), polls(l, o.poll_backend), batch(storage), read_buffer(new char[kReadBufferSize]) {
    router.set_ignore_trailing_slash(o.ignore_trailing_slash);
  }

  uv_loop_t *loop;
  ServerOptions options;
  PollGroup polls; // the connections' readiness
  ServerStats stats;
  DateCache date;
  Router router;
  std::vector<StaticResponse> statics;
  std::unique_ptr<StaticFiles> files; // the mounted directories; created by the first serveDir
  std::optional<uint32_t> fallback;   // the JS handler for what no route or directory took (app.fetch)
  std::optional<uint32_t> not_allowed; // the JS handler for 405s (an app's not-found handler)
  std::vector<RouteBody> route_bodies; // by JS handler id, for the handlers that have options
  std::unique_ptr<AccessLog> access_log; // when the user asked for one
  std::vector<std::unique_ptr<ResponseCache>> caches; // by JS handler id, for the cached routes
  std::unordered_map<ResponseId, CacheFill, ResponseIdHash> fills;
  std::unordered_map<std::string, ResponseId> filling; // a key in JS now (CacheFill::tagged) → its answer
  std::vector<CacheWaiter> redispatch; // waiters whose answer was not kept: they go to JS from the loop
  std::string cache_scratch; // a key or a head, built per cached request without allocating once warm
  ResponseCache *cache_for(uint32_t handler) const { return handler < caches.size() ? caches[handler].get() : nullptr; }
  RequestBatch batch;
  bool in_batch = false; // JS is running the batch: its buffers must not change
  bool closing = false;  // no new requests: connections finish what they owe and end

  // Connections with output to send, flushed once at the end of the loop iteration.
  std::vector<ConnectionId> dirty;
  // Responses JS owes that their connection will never send (it closed, or ends with an earlier
  // response); JS hears of them once per iteration.
  std::vector<AbortedResponses> aborted;
  // Connections whose streamed responses' writers wait for the output to drain, and it has.
  std::vector<ConnectionId> drained;
  // Connections whose streamed request body has bytes (or its end) for a reader that waits.
  std::vector<ConnectionId> bodies_ready;
  // Rejected requests, reported to JS from the loop rather than from the middle of parsing.
  std::vector<std::pair<int, std::string_view>> client_errors;

  // Output buffers, lent to connections while they have bytes to send.
  BufferPool buffers;

  // Reads land here first; a connection keeps only an incomplete tail (see Session).
  static constexpr size_t kReadBufferSize = 128 * 1024;
  std::unique_ptr<char[]> read_buffer;
};

} // namespace uvhttp
