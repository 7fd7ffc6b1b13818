// One accepted TCP connection: reads, parses requests in order, hands each to the router, and keeps
// the responses in request order in a corked output that the server flushes once per loop iteration.
#pragma once

#include <uv.h>

#include "socket_io.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "http_errors.h"
#include "message.h"
#include "parser.h"
#include "response.h"

namespace uvhttp {

class Server;

class Connection {
public:
  Connection(Server *server, uint32_t id, socket_t fd);
  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  uint32_t id() const { return id_; }

  // Starts watching the accepted socket; false when libuv refused it (the caller closes the socket).
  bool start();
  // A JS handler's response for request seq: head is the status line and header fields, each CRLF-ended.
  void respond(uint32_t seq, std::string_view head, std::string_view body);
  // Sends what the output holds; called once per loop iteration by the server.
  void flush();
  // Graceful end when the server closes: at once if idle, else after the in-flight responses.
  void close_when_idle();
  // Ends the connection now.
  void close();
  bool closing() const { return closing_; }

  // Called once a second: closes the connection when one of its timeouts has passed.
  void check_timeouts(uint64_t now);

  static constexpr size_t kMaxHeaders = 100;

private:
  enum class State : uint8_t { Head, Body, ChunkedBody, Lingering };

  static void on_poll(uv_poll_t *h, int status, int events);
  static void on_close(uv_handle_t *h);

  void read_some();
  void on_end_of_input();
  // Sends what it can of the output; waits for writability when the socket is full.
  void send_output();
  void update_poll();

  // Parses and answers every complete request in data[0, len); keeps an incomplete tail.
  void process(char *data, size_t len, bool own_buffer);
  // Handles one complete request (head parsed, body complete).
  void complete(const RequestHead &head, const MessageInfo &info, const char *head_start,
                size_t head_len, const char *body, size_t body_len);
  // Rejects the current request and ends the connection after the error response.
  void fail(HttpError e);
  // Appends a ready response for seq, in order.
  template <typename Render> void deliver(uint32_t seq, bool close_after, Render &&render);
  // A canned error response (http_errors.h) for seq, in order.
  void deliver_error(uint32_t seq, bool close_after, HttpError error, const std::string *allow,
                     bool omit_body, ConnectionHeader conn);
  void drain_queue();
  void keep_tail(char *data, size_t from, size_t len, bool own_buffer);
  void ensure_capacity(size_t need);
  void mark_dirty();
  void after_output_sent();
  void update_read_state();
  void send_continue();
  // Too much output (sent or waiting behind a JS response) or too many requests waiting for JS.
  bool backlogged() const;
  // Parses the input kept while backlogged, once the client has taken enough output.
  void resume_parsing();

  Server *server_;
  uint32_t id_;
  socket_t fd_;
  uv_poll_t poll_;
  int events_ = 0; // what poll_ watches now

  // Input: bytes of a request that spans reads. Empty most of the time: reads go to the server's
  // shared buffer and only an incomplete tail is copied here.
  char *in_ = nullptr;
  size_t in_len_ = 0;
  size_t in_cap_ = 0;

  // The request being received across reads.
  State state_ = State::Head;
  size_t last_len_ = 0;  // for parse_request's re-parse shortcut
  size_t head_len_ = 0;
  uint64_t body_len_ = 0;
  size_t decoded_ = 0;
  uint64_t chunked_wire_ = 0; // raw bytes of the chunked body seen so far
  ChunkedDecoder decoder_{};

  // Output. out_[0, out_sent_) already went out while the socket was full.
  ResponseQueue queue_;
  std::string out_;
  size_t out_sent_ = 0;
  size_t queued_bytes_ = 0;   // rendered responses waiting in the queue behind a JS response
  bool parse_paused_ = false; // input is kept unparsed until the output drains
  uint32_t next_seq_ = 0;
  bool waiting_writable_ = false;
  uint64_t last_write_progress_ = 0;
  bool dirty_ = false;
  bool no_more_requests_ = false; // a request said close, failed, or the peer half-closed
  bool close_after_flush_ = false;
  bool closing_ = false;          // uv_close called
  bool reading_ = false;
  bool peer_ended_ = false;
  bool shutting_down_ = false;
  bool linger_ = false; // input may follow the final response: shut down and drain before closing
  uint64_t last_activity_ = 0;   // loop time of the last byte read or written
  uint64_t request_started_ = 0; // loop time of the first byte of the request being received

  friend class Server;
};

} // namespace uvhttp
