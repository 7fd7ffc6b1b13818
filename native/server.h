// The listener and everything shared by its connections: options, routes, static responses, the date,
// counters, and the once-per-iteration step that enters JS with the batch and flushes the output.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <string>
#include <vector>

#include "batch.h"
#include "date_cache.h"
#include "response.h"
#include "router.h"
#include "socket_io.h"

namespace uvhttp {

class Connection;

struct ServerOptions {
  uint64_t body_limit = 1024 * 1024;
  size_t max_header_size = 16 * 1024;
  size_t max_target_length = 8 * 1024;
  uint32_t max_connections = 0; // 0: no limit beyond the fd limit
  uint64_t headers_timeout_ms = 60000;
  uint64_t request_timeout_ms = 300000;
  uint64_t keep_alive_timeout_ms = 5000;
  uint64_t write_timeout_ms = 30000; // a write that makes no progress for this long ends the connection
  size_t max_output = 1024 * 1024;   // per connection: stop reading past this much unsent output
};

struct ServerStats {
  uint64_t connections = 0;
  uint64_t connections_total = 0;
  uint64_t connections_rejected = 0;
  uint64_t requests = 0;
  uint64_t js_dispatches = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t parse_errors = 0;
  uint64_t timeouts = 0;
};

// What the core needs from JavaScript, implemented by the binding; the core sees no JS types.
class JsBridge {
public:
  virtual ~JsBridge() = default;
  // Enters JS once to run the handlers of the batch's requests; JS writes their responses to the
  // output buffers, which the bridge hands back through Server::take_responses before returning.
  virtual void run_batch(uint32_t count) = 0;
  // The server has closed its listener and every connection.
  virtual void closed() = 0;
  // A request was rejected (malformed, over a limit, timed out); called from the loop, never while
  // native code is in the middle of parsing.
  virtual void client_error(int status, std::string_view reason) = 0;
};

class Server {
public:
  Server(uv_loop_t *loop, const ServerOptions &options, JsBridge *bridge, BatchStorage *storage);
  ~Server();

  // Registration (before or after listen).
  std::string add_static(std::string_view method, std::string_view path, StaticResponse response);
  std::string add_dynamic(std::string_view method, std::string_view path, uint32_t handler);

  // Returns 0 or a libuv error code.
  int listen(const char *host, int port, std::string *bound_address, int *bound_port);
  void close();
  bool has_handles() const { return handles_open_ > 0; }

  // Response records from JS: a count followed by 5 words each (connection id, seq, head offset,
  // head length, body length); the body follows the head in data.
  void take_responses(const uint8_t *data, int32_t *records);
  // Sends all corked output now (used when JS answers outside a batch).
  void flush_all();

  const ServerStats &stats() const { return stats_; }
  const ServerOptions &options() const { return options_; }

private:
  friend class Connection;

  static void on_accept(uv_poll_t *listener, int status, int events);
  static void on_listener_closed(uv_handle_t *h);
  void accept_connection(socket_t fd);
  static void on_check(uv_check_t *check);
  static void on_tick(uv_timer_t *timer);
  static void on_handle_closed(uv_handle_t *h);

  Connection *lookup(uint32_t id) const;
  void release(Connection *c);
  void mark_dirty(Connection *c);
  void run_pending_batch();
  void sweep_timeouts();
  void maybe_finish_close();
  void report_client_error(int status, std::string_view reason);
  void schedule_tick();

  uv_loop_t *loop_;
  ServerOptions options_;
  JsBridge *bridge_;
  Router router_;
  std::vector<StaticResponse> statics_;
  DateCache date_;
  ServerStats stats_;
  RequestBatch batch_;
  bool in_batch_ = false;

  socket_t listen_fd_ = kInvalidSocket;
  uv_poll_t listener_;
  bool accept_paused_ = false; // out of file descriptors: retried at the next tick
  uv_check_t check_;
  uv_timer_t tick_;
  int handles_open_ = 0;
  bool listening_ = false;
  bool closing_ = false;
  bool helpers_started_ = false;
  bool helpers_closing_ = false;
  bool closed_reported_ = false;

  // Connection ids are a slot index and a generation, so a late JS response for a closed connection
  // finds nothing instead of another connection.
  std::vector<Connection *> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> generations_;
  std::vector<uint32_t> dirty_;
  std::vector<std::pair<int, std::string_view>> client_errors_; // reported at the next check

  // Reads land here first; only an incomplete tail is copied to the connection (see Connection).
  static constexpr size_t kReadBufferSize = 128 * 1024;
  std::unique_ptr<char[]> read_buffer_;
};

} // namespace uvhttp
