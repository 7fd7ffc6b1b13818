// One connection's HTTP/1 request stream, without the socket: bytes in, request events and errors out.
//
// It frames requests (Content-Length, chunked, pipelining), keeps the incomplete tail of the input
// between reads, and stops when its consumer cannot take another request, keeping what it has not
// parsed. Because it never sees a socket or a clock of its own, it is unit-tested and fuzzed with its
// input split at every byte position.
#pragma once

#include <cstddef>
#include <cstdint>

#include "http/http_errors.h"
#include "http/message.h"
#include "http/parser.h"
#include "http/request_target.h"

namespace uvhttp {

struct SessionLimits {
  uint64_t body_limit = 1024 * 1024;
  size_t max_header_size = 16 * 1024;
  size_t max_target_length = 8 * 1024;
};

// A complete request. Every pointer is valid only during the event: they point into the read buffer.
struct ParsedRequest {
  const RequestHead *head;
  const MessageInfo *info;
  const RequestTarget *target; // its form and where the part to route sits
  const char *head_start; // head_start[0, head_len) is the whole head; every pointer in head is inside
  size_t head_len;
  const char *body; // decoded (chunked) or as sent
  size_t body_len;
  bool body_follows; // the body is streamed: on_body_data and on_body_end follow (body_len is 0)
};

// How the body of a request is taken: within what limit, and whether its request goes to the consumer
// at the end of its head, the body following as it arrives (stream), or once the body is whole.
struct BodyPlan {
  uint64_t limit;
  bool stream;
};

class SessionEvents {
public:
  virtual ~SessionEvents() = default;
  // False: stop before the next request and keep the input until resume().
  virtual bool can_take_request() = 0;
  // A complete request. Returns false when it is the last one the connection will answer.
  virtual bool on_request(const ParsedRequest &request) = 0;
  // The client waits for 100 Continue before sending the body of the request being received (not
  // called for a streamed body: its consumer decides when to ask for it).
  virtual void on_continue() = 0;
  // Asked once the head of a request with a body is parsed; default_limit is SessionLimits::body_limit.
  virtual BodyPlan plan_body(const RequestHead &, const MessageInfo &, const RequestTarget &, uint64_t default_limit) {
    return BodyPlan{default_limit, false};
  }
  // Bytes of a streamed body (decoded from chunks), in order, after its on_request. Valid only during
  // the call.
  virtual void on_body_data(const char *, size_t) {}
  // The streamed body is complete. (A body that breaks its limit or its chunked framing ends with
  // on_error instead.)
  virtual void on_body_end() {}
  // The input is not valid HTTP or breaks a limit; no request follows.
  virtual void on_error(HttpError error) = 0;
};

class Session {
public:
  static constexpr size_t kMaxHeaders = 100;

  Session(const SessionLimits *limits, SessionEvents *events) : limits_(limits), events_(events) {}
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  // Where the next read should go when part of a request is kept: space after it, sized for the rest
  // of the body when its length is known. Returns false when nothing is kept (read into a shared
  // buffer and call feed) or when memory ran out (*cap == 0 then).
  bool read_space(char **buf, size_t *cap);
  // Bytes read into a buffer the session does not own: parsed in place, the incomplete tail copied.
  // now is the caller's clock, used for started().
  void feed(char *data, size_t len, uint64_t now);
  // n bytes were read into read_space().
  void fed_in_place(size_t n, uint64_t now);
  // Parses input kept while the consumer could not take requests.
  void resume(uint64_t now);
  // No more requests: input from now on, and any kept, is discarded.
  void finish();

  // No request will follow (the last one was seen, an error, or finish()).
  bool done() const { return state_ == State::Done; }
  // Bytes were discarded after the last request: the client may still be sending.
  bool discarded_input() const { return discarded_; }
  // A streamed body is being received.
  bool streaming_body() const { return state_ == State::StreamBody || state_ == State::StreamChunked; }
  // Part of a request is received, or input is kept unparsed.
  bool has_input() const { return kept_len_ > 0 || state_ != State::Head; }
  bool receiving_head() const { return state_ == State::Head; }
  // When the request now being received started (the read that brought its first byte, or the moment
  // the session turned to it when it was already buffered).
  uint64_t started() const { return started_; }
  bool paused() const { return paused_; }
  // Memory held for kept input, for the stats.
  size_t capacity() const { return kept_cap_; }

private:
  enum class State : uint8_t { Head, Body, ChunkedBody, StreamBody, StreamChunked, Done };

  // Parses every complete request in data[0, len); returns where parsing stopped.
  size_t parse(char *data, size_t len, uint64_t now, size_t *end);
  void keep(char *data, size_t from, size_t len, bool owned);
  bool reserve(size_t need);
  void fail(HttpError e);
  void remember_host(const MessageInfo &info);
  void request(const RequestHead &head, const MessageInfo &info, const char *p, const char *body,
               size_t body_len);
  // Hands a request on at the end of its head; its body follows.
  void stream_request(const RequestHead &head, const MessageInfo &info, const char *p);
  void end_stream();
  // Decodes chunked bytes in place (decode_chunked) and holds them to the limits; -1 once it failed
  // the session, else decode_chunked's answer.
  ssize_t decode_body(char *buf, size_t *len);
  // The chunked body seen so far breaks body_limit_ (decoded, or on the wire).
  bool chunked_over_limit() const;

  const SessionLimits *limits_;
  SessionEvents *events_;
  State state_ = State::Head;
  bool paused_ = false;
  bool discarded_ = false;

  // Input of a request that spans reads, or kept while paused. Empty most of the time.
  char *kept_ = nullptr;
  size_t kept_len_ = 0;
  size_t kept_cap_ = 0;

  size_t last_len_ = 0; // parse_request's re-parse shortcut
  size_t head_len_ = 0;
  uint64_t body_len_ = 0;   // the Content-Length; while streaming, the bytes still to come
  uint64_t body_limit_ = 0; // the current request's
  bool stream_last_ = false; // the streaming request was the connection's last
  size_t decoded_ = 0;
  uint64_t chunked_wire_ = 0; // raw bytes of the chunked body seen so far
  ChunkedDecoder decoder_{};
  RequestTarget target_{};
  uint64_t started_ = 0;
  // The last Host value found valid: the same bytes on the next request need no grammar check.
  char known_host_[48];
  uint8_t known_host_len_ = 0;
};

} // namespace uvhttp
