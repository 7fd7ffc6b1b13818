#include "connection.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "router.h"
#include "server.h"

namespace uvhttp {

namespace {

constexpr uint64_t kLingerMs = 2000;

// Requests of one connection waiting for JS before we stop reading from it: a client that pipelines
// without reading cannot make the server buffer without bound.
constexpr size_t kMaxPendingResponses = 128;
constexpr size_t kKeepInputCapacity = 64 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;
constexpr size_t kCompactOutput = 64 * 1024;
// A chunked body may take at most this much more than bodyLimit on the wire (sizes, extensions,
// trailers), so chunk metadata cannot stream forever.
constexpr uint64_t kChunkedOverhead = 64 * 1024;

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

Connection::Connection(Server *server, uint32_t id, socket_t fd) : server_(server), id_(id), fd_(fd) {
  poll_.data = this;
}

Connection::~Connection() { std::free(in_); }

bool Connection::start() {
  if (!nodelay_inherited()) set_nodelay(fd_);
  if (uv_poll_init_socket(server_->loop_, &poll_, fd_) != 0) return false;
  poll_.data = this;
  last_activity_ = uv_now(server_->loop_);
  reading_ = true;
  update_poll();
  return true;
}

void Connection::update_poll() {
  const int want = (reading_ ? UV_READABLE : 0) | (waiting_writable_ ? UV_WRITABLE : 0);
  if (want == events_ || closing_) return;
  events_ = want;
  if (want) {
    uv_poll_start(&poll_, want, on_poll);
  } else {
    uv_poll_stop(&poll_);
  }
}

void Connection::on_poll(uv_poll_t *h, int status, int events) {
  auto *c = static_cast<Connection *>(h->data);
  if (status < 0) return c->close();
  if (events & UV_WRITABLE) {
    c->send_output();
    if (c->closing_) return;
  }
  if (events & UV_READABLE) c->read_some();
}

void Connection::read_some() {
  Server *s = server_;
  // Reads land in the server's shared buffer; only a request spanning reads gets a buffer here,
  // sized for its body when the length is known.
  char *buf;
  size_t cap;
  bool shared = in_len_ == 0;
  if (shared) {
    buf = s->read_buffer_.get();
    cap = Server::kReadBufferSize;
  } else {
    size_t want = kMinReadSpace;
    if (state_ == State::Body) {
      uint64_t total = head_len_ + body_len_;
      if (total > in_len_ && total - in_len_ > want) want = static_cast<size_t>(total - in_len_);
    }
    ensure_capacity(in_len_ + want);
    if (!in_) return close();
    buf = in_ + in_len_;
    cap = in_cap_ - in_len_;
  }
  long n;
  do {
    n = sock_recv(fd_, buf, cap);
  } while (n < 0 && interrupted(last_socket_error()));
  if (n < 0) {
    if (!would_block(last_socket_error())) close();
    return;
  }
  if (n == 0) return on_end_of_input();

  s->stats_.bytes_read += static_cast<uint64_t>(n);
  last_activity_ = uv_now(s->loop_);
  if (state_ == State::Lingering) {
    linger_ = true; // the client is still sending: closing now would reset the connection
    return;         // discarding what follows a final response
  }
  if (state_ == State::Head && in_len_ == 0) request_started_ = last_activity_;
  if (shared) {
    process(buf, static_cast<size_t>(n), false);
  } else {
    in_len_ += static_cast<size_t>(n);
    process(in_, in_len_, true);
  }
  if (closing_) return;
  if (!out_.empty()) mark_dirty();
  update_read_state();
}

void Connection::on_end_of_input() {
  if (state_ == State::Lingering) return close();
  // A half-close: answer what was asked, then close.
  peer_ended_ = true;
  no_more_requests_ = true;
  reading_ = false;
  update_poll();
  close_after_flush_ = true;
  after_output_sent();
}

// Re-reads a head kept across reads: its pointers moved with the bytes.
static bool reparse(const char *p, size_t head_len, RequestHead *head, HeaderField *fields,
                    MessageInfo *info) {
  head->headers = fields;
  head->num_headers = Connection::kMaxHeaders;
  return parse_request(p, head_len, head, 0) == static_cast<int>(head_len) &&
         analyze_message(*head, info);
}

void Connection::process(char *data, size_t len, bool own_buffer) {
  const ServerOptions &opt = server_->options_;
  HeaderField fields[kMaxHeaders];
  RequestHead head;
  MessageInfo info;
  size_t pos = 0;
  while (pos < len && state_ != State::Lingering) {
    if (backlogged()) {
      // One read can hold thousands of pipelined requests: stop here and keep the rest until the
      // client has taken some output, so memory stays bounded whatever it sends.
      parse_paused_ = true;
      break;
    }
    char *p = data + pos;
    const size_t avail = len - pos;
    bool head_fresh = false;
    if (state_ == State::Head) {
      head.headers = fields;
      head.num_headers = kMaxHeaders;
      int r = parse_request(p, avail, &head, last_len_);
      if (r == -2) {
        if (avail > opt.max_header_size) {
          // No line end yet: the request line alone is too long.
          fail(std::memchr(p, '\n', avail) ? HttpError::HeadersTooLarge : HttpError::UriTooLong);
          return;
        }
        last_len_ = avail;
        break;
      }
      last_len_ = 0;
      if (r < 0) return fail(error_for(head.error));
      if (static_cast<size_t>(r) > opt.max_header_size) return fail(HttpError::HeadersTooLarge);
      if (head.target_len > opt.max_target_length) return fail(HttpError::UriTooLong);
      if (!analyze_message(head, &info)) return fail(error_for(info.error));
      head_len_ = static_cast<size_t>(r);
      head_fresh = true;
      if (info.chunked) {
        state_ = State::ChunkedBody;
        decoder_ = ChunkedDecoder{};
        decoded_ = 0;
        chunked_wire_ = 0;
        if (info.expect_continue) send_continue();
      } else if (info.has_content_length && info.content_length > 0) {
        if (info.content_length > opt.body_limit) return fail(HttpError::PayloadTooLarge);
        body_len_ = info.content_length;
        if (avail - head_len_ < body_len_) {
          state_ = State::Body;
          if (info.expect_continue) send_continue();
          break;
        }
        complete(head, info, p, head_len_, p + head_len_, static_cast<size_t>(body_len_));
        pos += head_len_ + static_cast<size_t>(body_len_);
        continue;
      } else {
        complete(head, info, p, head_len_, nullptr, 0);
        pos += head_len_;
        continue;
      }
    }
    if (state_ == State::Body) {
      if (avail < head_len_ + body_len_) break;
      if (!reparse(p, head_len_, &head, fields, &info)) return fail(HttpError::BadRequest);
      state_ = State::Head;
      complete(head, info, p, head_len_, p + head_len_, static_cast<size_t>(body_len_));
      pos += head_len_ + static_cast<size_t>(body_len_);
      continue;
    }
    // Chunked: [head][body decoded so far][raw bytes]; the decoder compacts in place.
    size_t raw = avail - head_len_ - decoded_;
    chunked_wire_ += raw;
    ssize_t r = decode_chunked(&decoder_, p + head_len_ + decoded_, &raw);
    if (r == -1) return fail(HttpError::BadChunkedBody);
    if (decoder_.total > opt.body_limit) return fail(HttpError::PayloadTooLarge);
    if (r == -2 && chunked_wire_ > 2 * opt.body_limit + kChunkedOverhead)
      return fail(HttpError::PayloadTooLarge);
    decoded_ += raw;
    if (r == -2) {
      len = pos + head_len_ + decoded_;
      break;
    }
    if (!head_fresh && !reparse(p, head_len_, &head, fields, &info))
      return fail(HttpError::BadRequest);
    state_ = State::Head;
    complete(head, info, p, head_len_, p + head_len_, decoded_);
    const size_t next = pos + head_len_ + decoded_;
    len = next + static_cast<size_t>(r);
    pos = next;
  }
  if (closing_) return;
  keep_tail(data, pos, len, own_buffer);
}

void Connection::keep_tail(char *data, size_t from, size_t len, bool own_buffer) {
  if (state_ == State::Lingering && from < len) linger_ = true; // bytes behind a final request
  const size_t rest = state_ == State::Lingering ? 0 : len - from;
  if (own_buffer) {
    if (from > 0 && rest > 0) std::memmove(in_, in_ + from, rest);
  } else if (rest > 0) {
    ensure_capacity(rest);
    if (!in_) return close();
    std::memcpy(in_, data + from, rest);
  }
  in_len_ = rest;
  if (in_len_ == 0 && in_cap_ > kKeepInputCapacity) {
    std::free(in_);
    in_ = nullptr;
    in_cap_ = 0;
  }
}

void Connection::ensure_capacity(size_t need) {
  if (need <= in_cap_) return;
  size_t cap = in_cap_ ? in_cap_ * 2 : 4096;
  while (cap < need) cap *= 2;
  char *p = static_cast<char *>(std::realloc(in_, cap));
  if (!p) {
    std::free(in_);
    in_ = nullptr;
    in_cap_ = in_len_ = 0;
    return;
  }
  in_ = p;
  in_cap_ = cap;
}

void Connection::send_continue() {
  // An interim response may only go out when nothing is ahead of it.
  if (!queue_.empty()) return;
  out_.append("HTTP/1.1 100 Continue\r\n\r\n");
  mark_dirty();
}

void Connection::complete(const RequestHead &head, const MessageInfo &info, const char *head_start,
                          size_t head_len, const char *body, size_t body_len) {
  Server *s = server_;
  ++s->stats_.requests;
  const uint32_t seq = next_seq_++;
  const bool keep = info.keep_alive && !s->closing_;
  const ConnectionHeader conn = !keep                    ? ConnectionHeader::Close
                                : head.minor_version == 0 ? ConnectionHeader::KeepAlive
                                                          : ConnectionHeader::None;
  if (!keep) {
    no_more_requests_ = true;
    state_ = State::Lingering;
  }
  const std::string_view method(head.method, head.method_len);
  const Method kind = method_from(method);
  const bool is_head = kind == Method::Head;
  const void *q = std::memchr(head.target, '?', head.target_len);
  const size_t path_len = q ? static_cast<size_t>(static_cast<const char *>(q) - head.target)
                            : head.target_len;

  RouteMatch m;
  s->router_.match(kind, method, std::string_view(head.target, path_len), &m);
  if (m.result == RouteMatch::Result::Found && m.target.kind == RouteTarget::Kind::Static) {
    const StaticResponse &r = s->statics_[m.target.index];
    deliver(seq, !keep, [&](std::string &out) { render(out, r.head, r.body, is_head, conn, s->date_); });
    return;
  }
  if (m.result == RouteMatch::Result::Found) {
    const uint32_t flags = (is_head ? batch::kFlagHead : 0) |
                           (head.minor_version == 0 ? batch::kFlagHttp10 : 0);
    if (s->batch_.add(id_, seq, m.target.index, flags, head, head_start, head_len, path_len, body,
                      body_len, m)) {
      ++s->stats_.js_dispatches;
      queue_.reserve(seq, is_head, conn, !keep);
      return;
    }
    // Only when the batch buffers could not grow (out of memory).
    return deliver_error(seq, !keep, HttpError::InternalError, nullptr, is_head, conn);
  }
  if (m.result == RouteMatch::Result::NotFound)
    return deliver_error(seq, !keep, HttpError::NotFound, nullptr, is_head, conn);
  deliver_error(seq, !keep, HttpError::MethodNotAllowed, m.allow, is_head, conn);
}

void Connection::deliver_error(uint32_t seq, bool close_after, HttpError error, const std::string *allow,
                               bool omit_body, ConnectionHeader conn) {
  const ErrorResponse &e = error_response(error);
  deliver(seq, close_after, [&](std::string &out) {
    render(out, error_head(e, allow), e.body, omit_body, conn, server_->date_);
  });
}

void Connection::fail(HttpError error) {
  Server *s = server_;
  if (error != HttpError::RequestTimeout) ++s->stats_.parse_errors;
  const uint32_t seq = next_seq_++;
  no_more_requests_ = true;
  state_ = State::Lingering;
  linger_ = true; // the rest of a bad request may still be on its way
  in_len_ = 0;
  deliver_error(seq, true, error, nullptr, false, ConnectionHeader::Close);
  const ErrorResponse &e = error_response(error);
  s->report_client_error(e.status, e.body);
}

template <typename Render> void Connection::deliver(uint32_t seq, bool close_after, Render &&render_to) {
  if (queue_.empty()) {
    render_to(out_);
    close_after_flush_ = close_after_flush_ || close_after;
    mark_dirty();
    return;
  }
  std::string &data = queue_.push_ready(seq, close_after).data;
  render_to(data);
  queued_bytes_ += data.size();
}

bool Connection::backlogged() const {
  return queue_.size() >= kMaxPendingResponses ||
         out_.size() - out_sent_ + queued_bytes_ >= server_->options_.max_output;
}

void Connection::resume_parsing() {
  if (!parse_paused_ || backlogged() || closing_ || server_->in_batch_) return;
  parse_paused_ = false;
  if (in_len_ > 0) process(in_, in_len_, true);
  if (closing_) return;
  if (!out_.empty()) mark_dirty();
}

void Connection::respond(uint32_t seq, std::string_view head, std::string_view body) {
  ResponseQueue::Slot *slot = queue_.find(seq);
  if (!slot) return; // answered twice, or the connection was reset
  if (queue_.front_is(slot)) {
    render(out_, head, body, slot->omit_body, slot->conn, server_->date_);
    close_after_flush_ = close_after_flush_ || slot->close_after;
    queue_.pop_front();
    drain_queue();
  } else {
    render(slot->data, head, body, slot->omit_body, slot->conn, server_->date_);
    slot->ready = true;
    queued_bytes_ += slot->data.size();
  }
  mark_dirty(); // flush() resumes parsing if this drained a backlog: never while a batch is taken
}

void Connection::drain_queue() {
  while (!queue_.empty() && queue_.front().ready) {
    ResponseQueue::Slot &s = queue_.front();
    out_.append(s.data);
    queued_bytes_ -= s.data.size();
    close_after_flush_ = close_after_flush_ || s.close_after;
    queue_.pop_front();
  }
}

void Connection::mark_dirty() { server_->mark_dirty(this); }

void Connection::flush() {
  dirty_ = false;
  if (closing_) return;
  resume_parsing();
  if (closing_ || waiting_writable_) return; // the writable event sends the rest
  if (out_.empty()) return after_output_sent();
  send_output();
}

void Connection::send_output() {
  Server *s = server_;
  while (out_sent_ < out_.size()) {
    long n = sock_send(fd_, out_.data() + out_sent_, out_.size() - out_sent_);
    if (n < 0) {
      const int err = last_socket_error();
      if (interrupted(err)) continue;
      if (would_block(err)) break;
      return close();
    }
    out_sent_ += static_cast<size_t>(n);
    s->stats_.bytes_written += static_cast<uint64_t>(n);
    last_write_progress_ = last_activity_ = uv_now(s->loop_);
  }
  if (out_sent_ == out_.size()) {
    out_.clear(); // keeps its capacity: the next iteration's responses need no allocation
    out_sent_ = 0;
    if (waiting_writable_) {
      waiting_writable_ = false;
      update_poll();
    }
    after_output_sent();
    if (closing_) return;
    resume_parsing();
  } else {
    // A reader that takes a little at a time never lets the output empty: drop what it took, so
    // the output holds at most the unsent bytes (bounded by max_output) and not everything sent.
    if (out_sent_ >= kCompactOutput) {
      out_.erase(0, out_sent_);
      out_sent_ = 0;
    }
    if (!waiting_writable_) {
      waiting_writable_ = true;
      last_write_progress_ = uv_now(s->loop_);
      update_poll();
    }
  }
  if (!closing_) update_read_state();
}

void Connection::after_output_sent() {
  if (closing_ || waiting_writable_ || !out_.empty() || !queue_.empty()) return;
  if (server_->closing_) close_after_flush_ = true;
  if (!close_after_flush_ || shutting_down_) return;
  if (peer_ended_) return close();
  if (!linger_) {
    // A clean final request (Connection: close, HTTP/1.0): close at once, as nginx does, unless a
    // last look finds input after all -- closing with unread input sends RST.
    long n = sock_recv(fd_, server_->read_buffer_.get(), Server::kReadBufferSize);
    if (n <= 0) return close(); // nothing waiting (EAGAIN), or the peer's FIN
    server_->stats_.bytes_read += static_cast<uint64_t>(n);
  }
  // Send FIN, then keep reading (and discarding) until the peer closes: closing with unread input
  // would send RST, which can destroy the response before the client reads it.
  shutting_down_ = true;
  state_ = State::Lingering;
  in_len_ = 0;
  shutdown_send(fd_);
  last_activity_ = uv_now(server_->loop_);
  if (!reading_) {
    reading_ = true;
    update_poll();
  }
}

void Connection::update_read_state() {
  if (closing_ || peer_ended_ || state_ == State::Lingering) return;
  const bool want = !parse_paused_ && !backlogged();
  if (want != reading_) {
    reading_ = want;
    update_poll();
  }
}

void Connection::check_timeouts(uint64_t now) {
  if (closing_) return;
  const ServerOptions &opt = server_->options_;
  if (state_ == State::Lingering) {
    // The peer had its chance to read the final response.
    if (now - last_activity_ > kLingerMs) close();
    return;
  }
  // A timeout of 0 is disabled.
  auto expired = [now](uint64_t since, uint64_t limit) { return limit != 0 && now - since > limit; };
  if (waiting_writable_) {
    // A reader that takes nothing for this long is gone or hostile.
    if (expired(last_write_progress_, opt.write_timeout_ms)) {
      ++server_->stats_.timeouts;
      close();
    }
    return;
  }
  if (!queue_.empty()) return; // JS is working on a request: no timeout of ours applies
  if (in_len_ == 0 && state_ == State::Head) {
    if (expired(last_activity_, opt.keep_alive_timeout_ms)) close();
    return;
  }
  // headersTimeout bounds the head, requestTimeout the whole request: both count from its first byte.
  const bool timed_out = expired(request_started_, opt.request_timeout_ms) ||
                         (state_ == State::Head && expired(request_started_, opt.headers_timeout_ms));
  if (timed_out) {
    ++server_->stats_.timeouts;
    fail(HttpError::RequestTimeout);
    if (!out_.empty()) flush();
  }
}

void Connection::close_when_idle() {
  no_more_requests_ = true;
  if (queue_.empty() && out_.empty()) return close();
  close_after_flush_ = true;
  if (state_ != State::Lingering) {
    if (in_len_ > 0) linger_ = true; // part of a request arrived: more may follow
    state_ = State::Lingering;
    in_len_ = 0;
  }
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  uv_close(reinterpret_cast<uv_handle_t *>(&poll_), on_close);
}

void Connection::on_close(uv_handle_t *h) {
  auto *c = static_cast<Connection *>(h->data);
  close_socket(c->fd_);
  c->server_->release(c);
  delete c;
}

} // namespace uvhttp
