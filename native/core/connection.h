// One accepted connection: ties its socket's readiness (Poller) to its HTTP/1 request stream (Session)
// and to what it owes the client (OutputQueue), routes each request, and owns the connection's
// lifecycle and timeouts.
//
// Lifecycle, one phase at a time:
//   Preface    (proxyProtocol only) waiting for the balancer's PROXY header; nothing else is read
//   Open       reading and answering requests
//   Finishing  no more requests (the last one said close, a request failed, the peer half-closed, or
//              the server is closing): what is owed is answered and sent
//   Lingering  the last byte went out and FIN was sent; input is read and dropped until the peer
//              closes, so that closing with unread input cannot reset the response away
//   Closed     the socket is being closed
// No timeout ends a connection while a handler still owes it a response, unless the user set
// requestTimeout; lingering starts only after the final byte went out and has a total cap.
//
// The members are defined in parts, so that each part reads on its own: connection.cc (reading,
// writing, lifecycle, timeouts, errors), connection_route.cc (where a request goes),
// connection_cache.cc (the micro-cache), connection_body.cc (a request body streaming to JS),
// connection_preface.cc (the PROXY header), connection_log.cc (the access log).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/access_log.h"
#include "core/output_queue.h"
#include "core/request_body.h"
#include "core/router.h"
#include "io/poller.h"
#include "core/server_context.h"
#include "http/proxy_protocol.h"
#include "http/session.h"
#include "io/socket_io.h"

namespace uvhttp {

// SessionEvents is the first base: its calls come once a request, so they need no this-adjusting thunk.
class Connection final : private SessionEvents, private PollerEvents {
public:
  Connection(ServerContext *ctx, ConnectionOwner *owner, ConnectionId id, socket_t fd);
  ~Connection() override;
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  const ConnectionId &id() const { return id_; }

  // Starts watching the accepted socket, first for a PROXY protocol header when proxy_header is set;
  // false when the loop or memory refused it (the caller closes the socket).
  bool start(bool proxy_header);
  // A JS handler's response for request seq, or part of it (response_record.h says how a record's
  // word 7 reads): head is the status line and header fields, each CRLF-ended. False when the
  // connection does not owe that response (answered already) or the part does not fit.
  bool respond(uint32_t seq, uint32_t part_and_flags, std::string_view head, std::string_view body);
  // What JS reads of the streamed body of request seq: the bytes received since it last asked, or why
  // there are none (see BodyRead). Reading also answers an Expect: 100-continue.
  enum class BodyRead : uint8_t { Data, Wait, End, Gone, Failed };
  BodyRead take_body(uint32_t seq, std::string *out, HttpError *error);
  // Sends what the output holds; called once per loop iteration for dirty connections.
  void flush();
  // The server is closing: end now when idle, else after the responses owed.
  void finish_gracefully();
  // Ends the connection now, whatever it owes.
  void close();
  // A cache waiter whose answer was not kept: routes its request again and sends it to JS.
  void redispatch(uint32_t seq, const std::string &request);
  bool closed() const { return phase_ == Phase::Closed; }
  // Called once a second: acts on the timeout that has passed, if any.
  void check_timeouts(uint64_t now);
  // The client's address and port (the one a PROXY header named, else the socket's peer); false when
  // the socket no longer has a peer.
  bool peer(std::string *address, int *port) const;
  // Memory held for input and output buffers.
  size_t buffered_capacity() const { return session_.capacity() + queue_.capacity(); }

private:
  enum class Phase : uint8_t { Preface, Open, Finishing, Lingering, Closed };

  // The PROXY header while it arrives, then the client it named (kept only when it named one).
  struct ProxyPreface {
    std::string pending; // a header split across reads; empty when each read held it whole
    ProxySource source;
    uint64_t started;    // loop time of the accept: headersTimeout bounds the wait
  };

  // PollerEvents
  void on_readable() override;
  void on_writable() override;
  void on_poll_failure() override;
  void on_poller_closed() override;
  // SessionEvents
  bool can_take_request() override;
  bool on_request(const ParsedRequest &r) override;
  void on_continue() override;
  void on_error(HttpError e) override;
  BodyPlan plan_body(const RequestHead &head, const MessageInfo &info, const RequestTarget &target,
                     uint64_t default_limit) override;
  void on_body_data(const char *data, size_t len) override;
  void on_body_end() override;

  // respond() for a part of a streamed response, a flagged one, or one whose request body streams.
  bool respond_part(uint32_t seq, uint32_t part_and_flags, std::string_view head, std::string_view body);
  // Routes a request (on_request, after its body if that was buffered).
  bool route_request(uint32_t seq, const ParsedRequest &r);
  // The streamed body JS reads has bytes, or has ended: tell it if it waits.
  void body_progress();
  // The streamed body of seq will not be read by JS (it answered, or the connection ends).
  void drop_body(uint32_t seq);

  // The access log's view of a request: routed (its fields are taken), answered natively or by JS.
  void log_begin(uint32_t seq, const RequestHead &head);
  void log_answer(uint32_t seq, int status, uint64_t body_bytes) {
    if (log_) ctx_->access_log->finish(log_client(), seq, status, body_bytes);
  }
  // The connection's log, its client asked once (after any PROXY header has named it).
  ConnectionLog &log_client();
  // A part of a JS response that respond_part() took (part_and_flags as response_record.h reads it).
  void log_part(uint32_t seq, uint32_t part_and_flags, std::string_view head, std::string_view body);

  void expire(uint64_t now);
  // Reads the PROXY header, then hands what follows it to the session.
  void read_preface();
  void read_requests();
  // Reads and drops input (Finishing, Lingering); notices the peer's FIN.
  void drop_input();
  // The client sent FIN.
  void on_peer_end();
  // Sends ready output now; waits for writability when the socket is full.
  void write_output();
  // Moves the lifecycle on once the output is idle: linger or close.
  void after_output();
  // Inline: every request passes here, from the several files the members are defined in.
  void enter_finishing() {
    if (phase_ == Phase::Open) phase_ = Phase::Finishing;
  }
  void update_watch();
  void mark_dirty() {
    if (dirty_) return;
    dirty_ = true;
    ctx_->dirty.push_back(id_); // never allocates: the server keeps room for every connection
  }
  // Too much unsent output, or too many requests waiting for JS: stop taking requests for now.
  bool backlogged() const;
  // Hands a request to a JS handler through the batch (a 500 when the batch cannot grow).
  // False when the batch could not take it (it was answered with a 500). reserve: false when the
  // response slot is reserved already (a cache waiter sent on to JS).
  bool dispatch_to_js(uint32_t seq, const RouteMatch &m, const ParsedRequest &r, bool is_head, ConnectionHeader conn,
                      bool reserve = true);
  // A request to a cached route: answered from the cache when it holds a fresh answer (true); else it
  // goes to JS and, for a GET, its answer is offered to the cache.
  bool answer_from_cache(uint32_t seq, ResponseCache &cache, uint32_t handler, const RouteMatch &m, const ParsedRequest &r,
                         bool is_head, ConnectionHeader conn);
  // A request no route matched, offered to the mounted directories; false when none took it.
  bool answer_from_files(uint32_t seq, Method kind, const RequestHead &head, std::string_view url,
                         const RequestTarget &t, std::string_view path, ConnectionHeader conn);
  // Answers with a canned error and takes no more requests.
  void reject(HttpError e);
  void deliver_error(uint32_t seq, HttpError error, const std::string *allow, bool omit_body,
                     ConnectionHeader conn);
  // Forgets what JS owes (the connection is ending) and tells JS, once per loop iteration.
  void abandon_owed();
  // The response seq is the connection's last: what follows it is forgotten (JS hears of what it
  // owed), no more requests are read, and the connection ends once seq has gone out.
  void end_with(uint32_t seq);
  // A writer waits for this connection's output to drain: tell JS once nothing is left unsent.
  void notify_drained();
  uint64_t now() const { return uv_now(ctx_->loop); }

  ServerContext *ctx_;
  ConnectionOwner *owner_;
  ConnectionId id_;
  socket_t fd_;
  Phase phase_ = Phase::Open;
  bool peer_ended_ = false;    // the client sent FIN: nothing is read any more; close once sent
  bool write_blocked_ = false; // the socket was full at the last write: writability resumes it
  bool dirty_ = false;         // listed in ctx_->dirty for this iteration's flush
  bool drain_wanted_ = false;  // a streamed response's writer waits until the output has drained
  Poller poller_;
  Session session_;
  OutputQueue queue_;
  std::unique_ptr<RequestBody> body_; // while a request's body streams to JS
  std::unique_ptr<ProxyPreface> proxy_; // proxyProtocol only
  std::unique_ptr<ConnectionLog> log_;  // accessLog only
  uint32_t next_seq_ = 0;
  uint64_t last_activity_ = 0;      // loop time of the last byte read or written
  uint64_t last_write_progress_ = 0;
  uint64_t last_body_progress_ = 0; // loop time of the streamed body's last byte, or of reading resumed
  uint64_t linger_started_ = 0;
};

} // namespace uvhttp
