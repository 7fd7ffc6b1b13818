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
constexpr size_t kMaxPendingResponses = 256;
constexpr size_t kKeepInputCapacity = 64 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;

struct WriteReq {
  uv_write_t req;
  std::string data;
  size_t offset;
};

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

Connection::Connection(Server *server, uint32_t id) : server_(server), id_(id) { tcp_.data = this; }

Connection::~Connection() { std::free(in_); }

void Connection::start() {
  uv_tcp_nodelay(&tcp_, 1);
  last_activity_ = uv_now(server_->loop_);
  reading_ = uv_read_start(reinterpret_cast<uv_stream_t *>(&tcp_), on_alloc, on_read) == 0;
  if (!reading_) close();
}

void Connection::on_alloc(uv_handle_t *h, size_t, uv_buf_t *buf) {
  auto *c = static_cast<Connection *>(h->data);
  Server *s = c->server_;
  if (c->in_len_ == 0 && !s->read_buffer_busy_) {
    s->read_buffer_busy_ = true;
    *buf = uv_buf_init(s->read_buffer_.get(), Server::kReadBufferSize);
    return;
  }
  // A request spans reads: read straight after its bytes, sized for the body when we know it.
  size_t want = kMinReadSpace;
  if (c->state_ == State::Body) {
    uint64_t total = c->head_len_ + c->body_len_;
    if (total > c->in_len_ && total - c->in_len_ > want) want = static_cast<size_t>(total - c->in_len_);
  }
  c->ensure_capacity(c->in_len_ + want);
  if (!c->in_) {
    *buf = uv_buf_init(nullptr, 0); // libuv reports UV_ENOBUFS to on_read
    return;
  }
  *buf = uv_buf_init(c->in_ + c->in_len_, static_cast<unsigned>(c->in_cap_ - c->in_len_));
}

void Connection::on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  auto *c = static_cast<Connection *>(stream->data);
  Server *s = c->server_;
  const bool shared = buf->base == s->read_buffer_.get();
  if (shared) s->read_buffer_busy_ = false;
  if (nread == 0 || c->closing_) return;
  if (nread < 0) {
    if (nread == UV_EOF && c->state_ != State::Lingering) {
      // A half-close: answer what was asked, then close.
      c->peer_ended_ = true;
      c->no_more_requests_ = true;
      uv_read_stop(stream);
      c->reading_ = false;
      c->close_after_flush_ = true;
      c->after_output_sent();
      return;
    }
    c->close();
    return;
  }
  s->stats_.bytes_read += static_cast<uint64_t>(nread);
  c->last_activity_ = uv_now(s->loop_);
  if (c->state_ == State::Lingering) return; // discarding what follows a final response
  if (c->state_ == State::Head && c->in_len_ == 0) c->request_started_ = c->last_activity_;
  if (shared) {
    c->process(buf->base, static_cast<size_t>(nread), false);
  } else {
    c->in_len_ += static_cast<size_t>(nread);
    c->process(c->in_, c->in_len_, true);
  }
  if (c->closing_) return;
  if (!c->out_.empty()) c->mark_dirty();
  c->update_read_state();
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
    ssize_t r = decode_chunked(&decoder_, p + head_len_ + decoded_, &raw);
    if (r == -1) return fail(HttpError::BadChunkedBody);
    if (decoder_.total > opt.body_limit) return fail(HttpError::PayloadTooLarge);
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
  const bool is_head = method_from(method) == Method::Head;
  const void *q = std::memchr(head.target, '?', head.target_len);
  const size_t path_len = q ? static_cast<size_t>(static_cast<const char *>(q) - head.target)
                            : head.target_len;

  RouteMatch m;
  s->router_.match(method, std::string_view(head.target, path_len), &m);
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
    m.result = RouteMatch::Result::NotFound; // unreachable unless out of memory: answer 500 below
    const ErrorResponse &e = error_response(HttpError::InternalError);
    deliver(seq, !keep, [&](std::string &out) {
      render(out, error_head(e, nullptr), e.body, is_head, conn, s->date_);
    });
    return;
  }
  const bool not_found = m.result == RouteMatch::Result::NotFound;
  const ErrorResponse &e = error_response(not_found ? HttpError::NotFound : HttpError::MethodNotAllowed);
  deliver(seq, !keep, [&](std::string &out) {
    render(out, error_head(e, not_found ? nullptr : m.allow), e.body, is_head, conn, s->date_);
  });
}

void Connection::fail(HttpError error) {
  Server *s = server_;
  if (error != HttpError::RequestTimeout) ++s->stats_.parse_errors;
  const uint32_t seq = next_seq_++;
  no_more_requests_ = true;
  state_ = State::Lingering;
  in_len_ = 0;
  const ErrorResponse &e = error_response(error);
  deliver(seq, true, [&](std::string &out) {
    render(out, error_head(e, nullptr), e.body, false, ConnectionHeader::Close, s->date_);
  });
  s->report_client_error(e.status, e.body);
}

template <typename Render> void Connection::deliver(uint32_t seq, bool close_after, Render &&render_to) {
  if (queue_.empty()) {
    render_to(out_);
    close_after_flush_ = close_after_flush_ || close_after;
    mark_dirty();
    return;
  }
  render_to(queue_.push_ready(seq, close_after).data);
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
  }
  mark_dirty();
}

void Connection::drain_queue() {
  while (!queue_.empty() && queue_.front().ready) {
    ResponseQueue::Slot &s = queue_.front();
    out_.append(s.data);
    close_after_flush_ = close_after_flush_ || s.close_after;
    queue_.pop_front();
  }
}

void Connection::mark_dirty() { server_->mark_dirty(this); }

void Connection::flush() {
  dirty_ = false;
  if (closing_ || write_in_flight_) return;
  if (out_.empty()) return after_output_sent();
  uv_stream_t *stream = reinterpret_cast<uv_stream_t *>(&tcp_);
  uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int r = uv_try_write(stream, &b, 1);
  if (r == static_cast<int>(out_.size())) {
    server_->stats_.bytes_written += static_cast<uint64_t>(r);
    out_.clear(); // keeps its capacity: the next iteration's responses need no allocation
    after_output_sent();
    return;
  }
  if (r < 0 && r != UV_EAGAIN) return close();
  const size_t done = r > 0 ? static_cast<size_t>(r) : 0;
  server_->stats_.bytes_written += done;
  // The kernel took part: the rest goes out asynchronously, and a new output collects meanwhile.
  auto *w = new (std::nothrow) WriteReq{};
  if (!w) return close();
  w->data = std::move(out_);
  out_.clear();
  w->offset = done;
  w->req.data = this;
  uv_buf_t rest = uv_buf_init(w->data.data() + done, static_cast<unsigned>(w->data.size() - done));
  write_in_flight_ = true;
  bytes_in_flight_ = rest.len;
  if (uv_write(&w->req, stream, &rest, 1, on_write) != 0) {
    write_in_flight_ = false;
    delete w;
    return close();
  }
  update_read_state();
}

void Connection::on_write(uv_write_t *req, int status) {
  auto *w = reinterpret_cast<WriteReq *>(req);
  auto *c = static_cast<Connection *>(req->data);
  if (status == 0) c->server_->stats_.bytes_written += w->data.size() - w->offset;
  delete w;
  c->write_in_flight_ = false;
  c->bytes_in_flight_ = 0;
  if (c->closing_) return;
  if (status < 0) return c->close();
  c->last_activity_ = uv_now(c->server_->loop_);
  if (!c->out_.empty()) {
    c->flush();
  } else {
    c->after_output_sent();
  }
  if (!c->closing_) c->update_read_state();
}

void Connection::after_output_sent() {
  if (closing_ || write_in_flight_ || !out_.empty() || !queue_.empty()) return;
  if (server_->closing_ && !shutting_down_) {
    close_after_flush_ = true;
  }
  if (!close_after_flush_ || shutting_down_) return;
  if (peer_ended_) return close();
  // Send FIN, then keep reading (and discarding) until the peer closes: closing with unread input
  // would send RST, which can destroy the response before the client reads it.
  shutting_down_ = true;
  state_ = State::Lingering;
  auto *req = new (std::nothrow) uv_shutdown_t;
  if (!req) return close();
  req->data = this;
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t *>(&tcp_), on_shutdown) != 0) {
    delete req;
    return close();
  }
  if (!reading_) {
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t *>(&tcp_), on_alloc, on_read) == 0;
  }
}

void Connection::on_shutdown(uv_shutdown_t *req, int status) {
  auto *c = static_cast<Connection *>(req->data);
  delete req;
  if (status < 0 && !c->closing_) c->close();
}

void Connection::update_read_state() {
  if (closing_ || peer_ended_ || state_ == State::Lingering) return;
  const bool want = queue_.size() < kMaxPendingResponses &&
                    out_.size() + bytes_in_flight_ < server_->options_.max_output;
  uv_stream_t *stream = reinterpret_cast<uv_stream_t *>(&tcp_);
  if (want && !reading_) {
    reading_ = uv_read_start(stream, on_alloc, on_read) == 0;
  } else if (!want && reading_) {
    uv_read_stop(stream);
    reading_ = false;
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
  if (write_in_flight_) {
    // A reader that takes nothing for a whole keep-alive period is gone or hostile.
    if (now - last_activity_ > opt.write_timeout_ms) {
      ++server_->stats_.timeouts;
      close();
    }
    return;
  }
  if (!queue_.empty()) return; // JS is working on a request: no timeout of ours applies
  if (in_len_ == 0 && state_ == State::Head) {
    if (now - last_activity_ > opt.keep_alive_timeout_ms) close();
    return;
  }
  const uint64_t limit = state_ == State::Head ? opt.headers_timeout_ms : opt.request_timeout_ms;
  if (now - request_started_ > limit) {
    ++server_->stats_.timeouts;
    fail(HttpError::RequestTimeout);
    if (!out_.empty()) flush();
  }
}

void Connection::close_when_idle() {
  no_more_requests_ = true;
  if (queue_.empty() && out_.empty() && !write_in_flight_) return close();
  close_after_flush_ = true;
  if (state_ != State::Lingering) {
    state_ = State::Lingering;
    in_len_ = 0;
  }
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  queue_.clear();
  uv_close(reinterpret_cast<uv_handle_t *>(&tcp_), on_close);
}

void Connection::on_close(uv_handle_t *h) {
  auto *c = static_cast<Connection *>(h->data);
  c->server_->release(c);
  delete c;
}

} // namespace uvhttp
