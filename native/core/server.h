// The listener and the once-per-iteration work of a server: accepting connections, entering JS with
// the request batch, flushing corked output, telling JS which connections went away, the date and
// timeouts tick, and closing (gracefully, with an optional deadline).
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/batch.h"
#include "core/connection.h"
#include "core/connection_table.h"
#include "core/object_pool.h"
#include "core/response_record.h"
#include "core/server_context.h"
#include "io/listener.h"
#include "io/socket_io.h"

namespace uvhttp {

// What the core needs from JavaScript, implemented by the binding; the core sees no JS types.
class JsBridge {
public:
  virtual ~JsBridge() = default;
  // Enters JS once to run the handlers of the batch's requests; JS writes their responses to the
  // output buffers, which the bridge hands back through Server::take_responses before returning.
  virtual void run_batch(uint32_t count) = 0;
  // Responses JS owes that will never be sent: 4 words each (slot, serial low, serial high, and the
  // first sequence number of that connection that is lost; the later ones are lost too).
  virtual void responses_aborted(const uint32_t *words, size_t count) = 0;
  // Connections whose streamed responses asked to hear when their output drained, and it has: 3
  // words each (slot, serial low, serial high).
  virtual void connections_drained(const uint32_t *words, size_t count) = 0;
  // Connections whose streamed request body has something for a reader that waits (same words).
  virtual void bodies_ready(const uint32_t *words, size_t count) = 0;
  // The server has closed its listener and every connection.
  virtual void closed() = 0;
  // A request was rejected (malformed, over a limit, timed out); called from the loop, never while
  // native code is in the middle of parsing.
  virtual void client_error(int status, std::string_view reason) = 0;
};

// Where JS writes its responses (lib/output.ts): bytes, and records (core/response_record.h) after
// a count in records[0].
struct ResponseOutput {
  const uint8_t *data = nullptr;
  size_t data_len = 0;
  int32_t *records = nullptr;
  size_t max_records = 0;
};

// Where the server listens: a TCP address, a Unix domain socket path, or a socket opened elsewhere.
struct ListenSpec {
  enum class Kind : uint8_t { Tcp, Unix, Fd };
  Kind kind = Kind::Tcp;
  std::string host;
  int port = 0;
  std::string path;
  unsigned mode = 0; // the Unix socket file's mode; 0: as the umask leaves it
  int fd = -1;
  int backlog = 0; // 0: the default
  bool reuse_port = false;
};

class Server final : private ConnectionOwner {
public:
  Server(uv_loop_t *loop, const ServerOptions &options, JsBridge *bridge, BatchStorage *storage);
  ~Server() override;
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  // Registration (before or after listen).
  RouteError add_static(std::string_view method, std::string_view path, StaticResponse response);
  RouteError add_dynamic(std::string_view method, std::string_view path, uint32_t handler,
                          RouteBody body = RouteBody{});
  // Requests no route matched and no directory took go to this JS handler instead of a 404.
  void set_fallback(uint32_t handler, RouteBody body = RouteBody{}) {
    ctx_.fallback = handler;
    set_route_body(handler, body);
  }
  // Requests whose path some route answers for other methods only go to this JS handler instead of
  // the canned 405; allow_of() tells it the Allow value.
  void set_not_allowed(uint32_t handler) { ctx_.not_allowed = handler; }
  std::string allow_of(std::string_view method, std::string_view path) const {
    RouteMatch m;
    ctx_.router.match(method_from(method), method, path, &m);
    return m.result == RouteMatch::Result::MethodNotAllowed && m.allow ? *m.allow : std::string();
  }
  // Serves the files below root at URL prefix (see handlers/static_files.h); types is the extension
  // table (MimeTypes::load), taken by the first mount.
  std::string add_files(std::string_view prefix, const std::string &root, MountOptions options, std::string_view types);
  // Nullptr until a directory is mounted.
  const StaticFiles *files() const { return ctx_.files.get(); }

  // Returns 0 or a libuv error code.
  int listen(const ListenSpec &spec, std::string *bound_address, int *bound_port);
  // A connection from a socket pair instead of a listener (app.inject): the server takes one end as a
  // client connection and returns the other, or kInvalidSocket when it cannot (closed, no socket
  // pair on this system, out of descriptors).
  socket_t inject();
  // Stops accepting, ends idle connections, lets the others finish what they owe; after timeout_ms
  // (0: no deadline) whatever is left is closed and counted.
  void close(uint64_t timeout_ms);
  bool has_handles() const { return handles_open_ > 0; }

  // Response records (core/response_record.h). Records that point outside data are ignored.
  static constexpr size_t kResponseWords = response_record::kWords;
  void take_responses(const ResponseOutput &out);
  // Sends all corked output now.
  void flush_all();
  // JS answered outside a batch (a timer, I/O): take its responses, send them, and tell it what
  // drained or was lost meanwhile.
  void flush_from_js(const ResponseOutput &out);

  // The streamed body of request seq of a connection, as JS reads it (Connection::take_body); Gone
  // when the connection has gone. Sends the 100 Continue that reading may owe at once.
  Connection::BodyRead take_body(uint32_t slot, uint64_t serial, uint32_t seq, std::string *out, HttpError *error);
  // The address and port of a connection's client; false when the connection has gone.
  bool peer(uint32_t slot, uint64_t serial, std::string *address, int *port) const;

  // Keeps the answers of JS handler `handler` in a micro-cache (handlers/response_cache.h).
  void set_cache(uint32_t handler, CachePolicy policy);
  // Drops cached answers whose path is path (all when empty); returns how many.
  size_t purge_cache(std::string_view path);
  // The caches' counters summed, and their entries and bytes now.
  CacheStats cache_stats(size_t *entries, size_t *bytes) const;

  // Appends a line per answered request to the file at path (stdout when empty). Returns 0 or errno.
  int set_access_log(const std::string &path, AccessLogFormat format);
  // Opens the access log's path again (after logrotate moved the file). Returns 0 or errno.
  int reopen_access_log() { return ctx_.access_log ? ctx_.access_log->reopen() : 0; }
  const AccessLog *access_log() const { return ctx_.access_log.get(); }

  // Counters; buffered_bytes walks the connections, so it is computed only when asked.
  const ServerStats &stats() const { return ctx_.stats; }
  size_t buffered_bytes() const;

private:
  void connection_closed(Connection *c) override;
  // JS answered id: if a cached route's miss waits for it, offer it to the cache.
  void fill_cache(const ResponseId &id, uint32_t part_and_flags, std::string_view head, std::string_view body);
  void forget_fills(const AbortedResponses &a);
  // A waiter whose answer was not kept goes to JS from the loop (never from inside a batch).
  void release_waiter(CacheWaiter &&w);
  void redispatch_waiters();
  void set_route_body(uint32_t handler, RouteBody body);

  static void on_accept(uv_poll_t *listener, int status, int events);
  static void on_listener_closed(uv_handle_t *h);
  void accept_connections();
  // injected: a socket pair end from inject(), which never carries a PROXY header.
  void accept_connection(socket_t fd, bool injected);
  void start_helpers();
  static void on_check(uv_check_t *check);
  static void on_tick(uv_timer_t *timer);
  static void on_handle_closed(uv_handle_t *h);
  static void on_polls_closed(void *server);

  void iteration();
  void run_pending_batch();
  // Tells JS which responses were lost and which writers may go on.
  void report_events();
  void sweep_timeouts();
  void maybe_finish_close();
  void schedule_tick();

  ServerContext ctx_;
  JsBridge *bridge_;
  ConnectionTable table_;
  ObjectPool<Connection> connection_pool_;

  socket_t listen_fd_ = kInvalidSocket;
  std::string unix_path_; // the socket file this server made: removed when it closes
  uv_poll_t listener_;
  bool accept_paused_ = false; // out of descriptors: retried at the next tick
  uv_check_t check_;
  uv_timer_t tick_;
  int handles_open_ = 0;
  bool listening_ = false;
  bool helpers_started_ = false;
  bool helpers_closing_ = false;
  bool closed_reported_ = false;
  uint64_t close_deadline_ = 0; // loop time; 0: none
};

} // namespace uvhttp
