#include "core/connection.h"

#include <exception>
#include <string>

#include "core/response_record.h"
#include "http/http_errors.h"
#include "http/response.h"

namespace uvhttp {

namespace {

// Lingering: how long the peer may stay silent, and how long it may keep sending, before we close.
constexpr uint64_t kLingerIdleMs = 2000;
constexpr uint64_t kLingerTotalMs = 5000;
// Requests of one connection waiting for JS before it stops taking more: a client that pipelines
// without reading cannot make the server buffer without bound.
constexpr size_t kMaxPendingResponses = 128;
constexpr size_t kMaxClientErrorsPerIteration = 256;

std::string error_head(const ErrorResponse &r, const std::string *allow) {
  std::string head;
  head.reserve(128);
  head.append(r.status_line);
  head.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  head.append(std::to_string(r.body.size()));
  head.append("\r\n");
  if (allow) {
    head.append("Allow: ");
    head.append(*allow);
    head.append("\r\n");
  }
  return head;
}

} // namespace

Connection::Connection(ServerContext *ctx, ConnectionOwner *owner, ConnectionId id, socket_t fd)
    : ctx_(ctx), owner_(owner), id_(id), fd_(fd), session_(&ctx->options.limits, this), queue_(&ctx->buffers) {}

Connection::~Connection() = default;

bool Connection::start(bool proxy_header) {
  if (!nodelay_inherited()) set_nodelay(fd_);
  if (proxy_header) {
    proxy_.reset(new (std::nothrow) ProxyPreface{});
    if (!proxy_) return false;
    proxy_->started = now();
    phase_ = Phase::Preface;
  }
  if (ctx_->access_log) {
    log_.reset(new (std::nothrow) ConnectionLog{});
    if (!log_) return false;
  }
  if (poller_.start(&ctx_->polls, fd_, this) != 0) return false;
  last_activity_ = now();
  update_watch();
  return true;
}

// Events from the socket ----------------------------------------------------------------------

void Connection::on_readable() {
  switch (phase_) {
  case Phase::Preface: return read_preface();
  case Phase::Open: return read_requests();
  case Phase::Finishing:
  case Phase::Lingering: return drop_input();
  case Phase::Closed: return;
  }
}

void Connection::on_writable() { write_output(); }

void Connection::on_poll_failure() { close(); }

void Connection::on_poller_closed() {
  close_socket(fd_);
  owner_->connection_closed(this); // deletes this
}

void Connection::read_requests() {
  // Reads land in the server's shared buffer; only a request spanning reads has a buffer of its own.
  char *buf;
  size_t cap;
  const bool in_place = session_.read_space(&buf, &cap);
  if (in_place && cap == 0) return close(); // out of memory for this request: end it, not the server
  if (!in_place) {
    buf = ctx_->read_buffer.get();
    cap = ServerContext::kReadBufferSize;
  }
  long n;
  do {
    n = poller_.receive(buf, cap);
  } while (n < 0 && interrupted(last_socket_error()));
  if (n < 0) {
    if (!would_block(last_socket_error())) close();
    return;
  }
  if (n == 0) return on_peer_end();

  ctx_->stats.bytes_read += static_cast<uint64_t>(n);
  last_activity_ = now();
  if (in_place) {
    session_.fed_in_place(static_cast<size_t>(n), last_activity_);
  } else {
    session_.feed(buf, static_cast<size_t>(n), last_activity_);
  }
  if (phase_ == Phase::Closed) return;
  if (queue_.has_ready_bytes()) mark_dirty();
  update_watch();
}

void Connection::drop_input() {
  const long n = poller_.receive(ctx_->read_buffer.get(), ServerContext::kReadBufferSize);
  if (n < 0) {
    const int err = last_socket_error();
    if (!would_block(err) && !interrupted(err)) close();
    return;
  }
  if (n == 0) return phase_ == Phase::Lingering ? close() : on_peer_end();
  ctx_->stats.bytes_read += static_cast<uint64_t>(n);
  last_activity_ = now();
  session_.feed(ctx_->read_buffer.get(), static_cast<size_t>(n), last_activity_); // counted as dropped
}

void Connection::on_peer_end() {
  // The client sends nothing more. As with Node (allowHalfOpen off) and nginx, that ends what
  // handlers still work on: JS hears those requests were aborted. Responses already made are sent,
  // then the connection closes.
  peer_ended_ = true;
  session_.finish();
  abandon_owed();
  enter_finishing();
  update_watch();
  after_output();
}

// Requests -------------------------------------------------------------------------------------

bool Connection::can_take_request() {
  // A streamed body JS has not finished reading holds back the requests behind it.
  if (backlogged() || body_) return false;
  if (ctx_->batch.full()) {
    mark_dirty(); // the flush after the batch has run resumes this connection
    return false;
  }
  return true;
}

bool Connection::backlogged() const {
  return queue_.owed() >= kMaxPendingResponses || queue_.unsent() >= ctx_->options.max_output;
}

void Connection::on_error(HttpError e) {
  if (e != HttpError::OutOfMemory) ++ctx_->stats.parse_errors;
  if (session_.streaming_body() || (body_ && body_->receiving())) {
    // The body of a request a handler already has broke a limit or its framing: the handler hears it
    // from its body stream and answers; no request follows.
    enter_finishing();
    if (body_ && body_->receiving()) {
      body_->fail(e);
      body_progress();
    }
    const ErrorResponse &r = error_response(e);
    if (e != HttpError::OutOfMemory && ctx_->client_errors.size() < kMaxClientErrorsPerIteration)
      ctx_->client_errors.emplace_back(r.status, r.body);
    update_watch();
    return;
  }
  reject(e);
}

void Connection::reject(HttpError e) {
  enter_finishing();
  deliver_error(next_seq_++, e, nullptr, false, ConnectionHeader::Close);
  // Out of memory and a slow handler are the server's failures, not the client's.
  if (e == HttpError::OutOfMemory || e == HttpError::ResponseTimeout) return;
  const ErrorResponse &r = error_response(e);
  if (ctx_->client_errors.size() < kMaxClientErrorsPerIteration) ctx_->client_errors.emplace_back(r.status, r.body);
}

void Connection::deliver_error(uint32_t seq, HttpError error, const std::string *allow, bool omit_body,
                               ConnectionHeader conn) {
  const ErrorResponse &e = error_response(error);
  queue_.add_ready(seq, [&](std::string &out) { render(out, error_head(e, allow), e.body, omit_body, conn, ctx_->date); });
  log_answer(seq, e.status, omit_body ? 0 : e.body.size());
  mark_dirty();
}

bool Connection::respond(uint32_t seq, uint32_t part_and_flags, std::string_view head, std::string_view body) {
  if (phase_ == Phase::Closed) return false;
  if (part_and_flags == 0 && !body_) {
    // Almost every response: whole, with no flag, and no request body streaming in.
    bool owed;
    bool omitted = false;
    try {
      owed = queue_.fulfil(seq, OutputQueue::Part::Whole, [&](std::string &out, const OutputQueue::Slot &s) {
        render(out, head, body, s.omit_body, s.conn, ctx_->date);
        omitted = s.omit_body;
      });
    } catch (const std::exception &) {
      close(); // no memory for this response: its client gets a closed connection, the rest go on
      return true;
    }
    if (!owed) return false;
    log_answer(seq, status_code(head), omitted ? 0 : body.size());
    mark_dirty(); // the flush resumes parsing if this drained a backlog: never inside a batch
    return true;
  }
  return respond_part(seq, part_and_flags, head, body);
}

bool Connection::respond_part(uint32_t seq, uint32_t part_and_flags, std::string_view head, std::string_view body) {
  using response_record::Part;
  const auto part = static_cast<Part>(part_and_flags & response_record::kPartMask);
  // The head says close when the connection ends with this response: its body ends with the close,
  // or its request's body is still arriving unread (drop_body ends the connection).
  const bool close_delimited = (part_and_flags & response_record::kCloseDelimited) != 0;
  const bool ends = close_delimited || (part == Part::Whole && body_ && body_->seq() == seq && body_->receiving());
  bool owed;
  try {
    switch (part) {
    case Part::Whole:
    case Part::Start:
      owed = queue_.fulfil(seq, part == Part::Whole ? OutputQueue::Part::Whole : OutputQueue::Part::Start,
                           [&](std::string &out, const OutputQueue::Slot &s) {
                             render(out, head, body, s.omit_body, ends ? ConnectionHeader::Close : s.conn, ctx_->date);
                           });
      if (owed && close_delimited) end_with(seq);
      break;
    case Part::More:
    case Part::Last:
      owed = queue_.fulfil(seq, part == Part::More ? OutputQueue::Part::More : OutputQueue::Part::Last,
                           [&](std::string &out, const OutputQueue::Slot &s) {
                             if (!s.omit_body) out.append(body);
                           });
      break;
    case Part::Abort:
      // Forget what follows first: completing seq moves the ready responses behind it out.
      owed = queue_.owes(seq);
      if (!owed) break;
      end_with(seq);
      if (!queue_.fulfil(seq, OutputQueue::Part::Last, [](std::string &, const OutputQueue::Slot &) {}))
        queue_.fulfil(seq, OutputQueue::Part::Whole, [](std::string &, const OutputQueue::Slot &) {}); // never started
      break;
    default: owed = false; break;
    }
  } catch (const std::exception &) {
    close(); // no memory for this response: its client gets a closed connection, the rest go on
    return true;
  }
  if (!owed) return false;
  if (log_) log_part(seq, part_and_flags, head, body);
  if (body_ && body_->seq() == seq && (part == Part::Whole || part == Part::Last || part == Part::Abort)) drop_body(seq);
  if (part_and_flags & response_record::kWantDrain) {
    drain_wanted_ = true;
    if (queue_.unsent() == 0) notify_drained();
  }
  mark_dirty(); // the flush resumes parsing if this drained a backlog: never inside a batch
  return true;
}

void Connection::end_with(uint32_t seq) {
  session_.finish();
  if (body_ && body_->seq() != seq) body_.reset();
  enter_finishing();
  const size_t dropped = queue_.drop_after(seq);
  if (dropped > 0) {
    try {
      ctx_->aborted.push_back(AbortedResponses{id_, seq + 1});
    } catch (...) {
      // Out of memory: JS will not hear of it, and its late answers are dropped anyway.
    }
  }
  update_watch();
}

void Connection::notify_drained() {
  drain_wanted_ = false;
  try {
    ctx_->drained.push_back(id_);
  } catch (...) {
    // Out of memory: the writer hears nothing and its response stays unfinished until the client
    // goes away (then JS hears that).
  }
}

// Output ---------------------------------------------------------------------------------------

void Connection::flush() {
  dirty_ = false;
  if (phase_ == Phase::Open && session_.paused() && !backlogged() && !ctx_->in_batch) {
    try {
      session_.resume(now());
    } catch (const std::exception &) {
      return close(); // out of memory while answering the kept requests
    }
    if (phase_ == Phase::Closed) return;
    update_watch();
  }
  if (phase_ == Phase::Closed || write_blocked_) return; // writability sends the rest
  if (queue_.has_ready_bytes()) return write_output();
  after_output();
}

void Connection::write_output() {
  size_t sent = 0;
  // Finishing with nothing owed: these are the last bytes, and after_output() closes or shuts down
  // the sending side as soon as they are out, which sends what MSG_MORE kept back with the FIN.
  const OutputQueue::WriteResult r = queue_.write(fd_, &sent, phase_ == Phase::Finishing && !queue_.owes_js());
  if (sent > 0) {
    ctx_->stats.bytes_written += sent;
    last_write_progress_ = last_activity_ = now();
  }
  if (r == OutputQueue::WriteResult::Failed) return close();
  if (r == OutputQueue::WriteResult::Blocked || r == OutputQueue::WriteResult::Yielded) {
    if (r == OutputQueue::WriteResult::Blocked) poller_.send_blocked();
    if (!write_blocked_) {
      write_blocked_ = true;
      last_write_progress_ = now();
      update_watch();
    }
    return;
  }
  const bool was_blocked = write_blocked_;
  write_blocked_ = false;
  if (drain_wanted_ && queue_.unsent() == 0) notify_drained();
  // Drained: input kept while backlogged can be parsed now (the next flush does it).
  if (phase_ == Phase::Open && session_.paused()) mark_dirty();
  // Only a change can make the watch differ: writability no longer wanted, or reading stopped by a
  // backlog that this write cleared.
  if (was_blocked || !poller_.reading()) update_watch();
  after_output();
}

void Connection::after_output() {
  if (phase_ != Phase::Finishing || write_blocked_ || !queue_.idle()) return;
  if (peer_ended_) return close();
  if (!session_.discarded_input()) {
    // A clean final request (Connection: close, HTTP/1.0): close at once, as nginx does, unless input
    // may be waiting -- closing with unread input sends RST. When the last read ran the socket dry
    // and no edge came since, nothing is; otherwise a last look says.
    if (!poller_.input_pending()) return close();
    const long n = poller_.receive(ctx_->read_buffer.get(), ServerContext::kReadBufferSize);
    if (n <= 0) return close(); // nothing waiting (EAGAIN), the peer's FIN, or an error
    ctx_->stats.bytes_read += static_cast<uint64_t>(n);
  }
  // Send FIN, then read and drop until the peer closes: closing with unread input would send RST,
  // which can destroy the response before the client has read it.
  phase_ = Phase::Lingering;
  shutdown_send(fd_);
  linger_started_ = last_activity_ = now();
  update_watch();
}

void Connection::update_watch() {
  bool read = false;
  switch (phase_) {
  case Phase::Preface: read = true; break;
  case Phase::Open: read = !session_.paused() && !backlogged() && !(body_ && body_->full()); break;
  case Phase::Finishing: read = !peer_ended_ && !(body_ && body_->full()); break; // dropped, but a FIN is noticed
  case Phase::Lingering: read = true; break;
  case Phase::Closed: return;
  }
  poller_.watch(read, write_blocked_);
}

// Ending ---------------------------------------------------------------------------------------

void Connection::check_timeouts(uint64_t t) {
  try {
    expire(t);
  } catch (const std::exception &) {
    close(); // no memory for the error response
  }
}

void Connection::expire(uint64_t t) {
  const ServerOptions &opt = ctx_->options;
  // A limit of 0 is disabled.
  auto expired = [t](uint64_t since, uint64_t limit) { return limit != 0 && t - since > limit; };
  switch (phase_) {
  case Phase::Closed: return;
  case Phase::Preface:
    if (expired(proxy_->started, opt.headers_timeout_ms)) {
      ++ctx_->stats.timeouts;
      close();
    }
    return;
  case Phase::Lingering:
    // The peer had its chance to read the final response.
    if (t - last_activity_ > kLingerIdleMs || t - linger_started_ > kLingerTotalMs) close();
    return;
  case Phase::Open:
  case Phase::Finishing: break;
  }
  if (body_ && body_->receiving() && !body_->full() && expired(last_body_progress_, opt.body_timeout_ms)) {
    // A streamed body that stopped coming while we read it: its handler hears it from its read.
    ++ctx_->stats.timeouts;
    session_.finish();
    enter_finishing();
    body_->fail(HttpError::RequestTimeout);
    body_progress();
    update_watch();
    flush();
  }
  if (write_blocked_) {
    // A reader that takes nothing for this long is gone or hostile.
    if (expired(last_write_progress_, opt.write_timeout_ms)) {
      ++ctx_->stats.timeouts;
      close();
    }
    return;
  }
  if (queue_.owes_js()) {
    // A handler is working: only requestTimeout, when the user set it, limits it -- until its
    // response has started streaming, after which no error response can be sent any more (a stalled
    // reader is the write timeout's).
    const OutputQueue::Slot &oldest = queue_.oldest_owed();
    if (!oldest.streaming && expired(oldest.started, opt.response_timeout_ms)) {
      ++ctx_->stats.timeouts;
      abandon_owed();
      session_.finish();
      reject(HttpError::ResponseTimeout);
      flush();
    }
    return;
  }
  if (phase_ != Phase::Open) return;
  if (!session_.has_input()) {
    if (expired(last_activity_, opt.keep_alive_timeout_ms)) return close();
    // Idle between requests: what the queue keeps for the next response goes back, so an idle
    // connection holds no buffer (once a second at most, the next response allocates again).
    queue_.release_idle();
    return;
  }
  // headersTimeout bounds the head, requestTimeout the whole request: both count from its first byte.
  if (expired(session_.started(), opt.request_timeout_ms) ||
      (session_.receiving_head() && expired(session_.started(), opt.headers_timeout_ms))) {
    ++ctx_->stats.timeouts;
    session_.finish();
    reject(HttpError::RequestTimeout);
    flush();
  }
}

void Connection::finish_gracefully() {
  if (phase_ == Phase::Preface) return close(); // no request yet: nothing is owed
  if (phase_ != Phase::Open) return;            // already ending
  if (queue_.idle() && !session_.has_input() && !ctx_->in_batch) {
    // An idle connection may have a request waiting in its socket (a proxy reusing it just now):
    // closing with it unread would reset the connection and lose the request. It is read and
    // answered as the last one (the closing server says Connection: close).
    read_requests();
    if (phase_ != Phase::Open) return;
  }
  // A body a handler is reading is not cut short: the session ends after it (the closing server
  // makes the next request the last).
  if (!session_.streaming_body()) session_.finish();
  queue_.close_owed();
  enter_finishing();
  if (queue_.idle()) return close();
  update_watch();
  mark_dirty();
}

void Connection::abandon_owed() {
  drain_wanted_ = false;
  body_.reset();
  if (!queue_.owes_js()) return;
  const uint32_t oldest = queue_.oldest_owed().seq;
  if (queue_.drop_owed() == 0) return;
  try {
    ctx_->aborted.push_back(AbortedResponses{id_, oldest});
  } catch (...) {
    // Out of memory: JS will not hear of it, and its late answers are dropped anyway.
  }
}

void Connection::close() {
  if (phase_ == Phase::Closed) return;
  phase_ = Phase::Closed;
  if (log_) ctx_->access_log->abandon(*log_);
  abandon_owed();
  poller_.close();
}

} // namespace uvhttp
