#include "http/session.h"

#include <cstdlib>
#include <cstring>

namespace uvhttp {

namespace {

// Kept input above this is freed once the session has nothing kept, so an idle connection that once
// received a large body holds no buffer.
constexpr size_t kKeepCapacity = 64 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;
// A chunked body may take at most this much more than bodyLimit on the wire (sizes, extensions,
// trailers), so chunk metadata cannot stream forever.
constexpr uint64_t kChunkedOverhead = 64 * 1024;

// Re-reads a head kept across reads: its pointers moved with the bytes.
bool reparse(const char *p, size_t head_len, RequestHead *head, HeaderField *fields, MessageInfo *info) {
  head->headers = fields;
  head->num_headers = Session::kMaxHeaders;
  return parse_request(p, head_len, head, 0) == static_cast<int>(head_len) && analyze_message(*head, info);
}

} // namespace

Session::~Session() { std::free(kept_); }

bool Session::reserve(size_t need) {
  if (need <= kept_cap_) return true;
  size_t cap = kept_cap_ ? kept_cap_ * 2 : 4096;
  while (cap < need) cap *= 2;
  char *p = static_cast<char *>(std::realloc(kept_, cap));
  if (!p) return false;
  kept_ = p;
  kept_cap_ = cap;
  return true;
}

bool Session::read_space(char **buf, size_t *cap) {
  *cap = 0;
  if (kept_len_ == 0) return false;
  size_t want = kMinReadSpace;
  if (state_ == State::Body) {
    const uint64_t total = head_len_ + body_len_;
    if (total > kept_len_ && total - kept_len_ > want) want = static_cast<size_t>(total - kept_len_);
  }
  if (!reserve(kept_len_ + want)) return true; // *cap == 0: out of memory
  *buf = kept_ + kept_len_;
  *cap = kept_cap_ - kept_len_;
  return true;
}

void Session::feed(char *data, size_t len, uint64_t now) {
  if (state_ == State::Done) {
    discarded_ = discarded_ || len > 0;
    return;
  }
  if (kept_len_ > 0) {
    // Reads go to read_space() while input is kept; a caller that fed anyway still gets its order.
    if (!reserve(kept_len_ + len)) return fail(HttpError::OutOfMemory);
    std::memcpy(kept_ + kept_len_, data, len);
    return fed_in_place(len, now);
  }
  if (state_ == State::Head) started_ = now;
  size_t end = len;
  const size_t pos = parse(data, len, now, &end);
  keep(data, pos, end, false);
}

void Session::fed_in_place(size_t n, uint64_t now) {
  kept_len_ += n;
  if (state_ == State::Done) return finish();
  size_t end = kept_len_;
  const size_t pos = parse(kept_, kept_len_, now, &end);
  keep(kept_, pos, end, true);
}

void Session::resume(uint64_t now) {
  if (!paused_) return;
  paused_ = false;
  if (kept_len_ == 0 || state_ == State::Done) return;
  if (state_ == State::Head) started_ = now; // the request waited on us, not on its client
  size_t end = kept_len_;
  const size_t pos = parse(kept_, kept_len_, now, &end);
  keep(kept_, pos, end, true);
}

void Session::finish() {
  if (kept_len_ > 0 || (state_ != State::Head && state_ != State::Done)) discarded_ = true;
  state_ = State::Done;
  paused_ = false;
  kept_len_ = 0;
  std::free(kept_);
  kept_ = nullptr;
  kept_cap_ = 0;
}

void Session::remember_host(const MessageInfo &info) {
  if (info.host == nullptr || info.host_len > sizeof(known_host_)) return;
  if (info.host_known) return;
  std::memcpy(known_host_, info.host, info.host_len);
  known_host_len_ = static_cast<uint8_t>(info.host_len);
}

void Session::fail(HttpError e) {
  state_ = State::Done;
  discarded_ = true; // the rest of a bad request may still be on its way
  events_->on_error(e);
}

void Session::request(const RequestHead &head, const MessageInfo &info, const char *p, const char *body,
                      size_t body_len) {
  state_ = State::Head;
  const ParsedRequest r{&head, &info, &target_, p, head_len_, body, body_len, false};
  if (!events_->on_request(r)) state_ = State::Done;
}

void Session::stream_request(const RequestHead &head, const MessageInfo &info, const char *p) {
  state_ = info.chunked ? State::StreamChunked : State::StreamBody;
  const ParsedRequest r{&head, &info, &target_, p, head_len_, nullptr, 0, true};
  stream_last_ = !events_->on_request(r);
}

void Session::end_stream() {
  state_ = stream_last_ ? State::Done : State::Head;
  events_->on_body_end();
}

ssize_t Session::decode_body(char *buf, size_t *len) {
  const size_t raw_in = *len;
  const ssize_t r = decode_chunked(&decoder_, buf, len);
  if (r == -1) {
    fail(HttpError::BadChunkedBody);
    return -1;
  }
  // The decoder took every byte but those that followed the message; counting only what it took
  // makes the verdict the same however the input was split.
  chunked_wire_ += raw_in - (r >= 0 ? static_cast<size_t>(r) : 0);
  // A chunk's declared size counts as soon as its size line is read: no waiting for bytes that
  // would be refused anyway.
  if (chunked_over_limit()) {
    fail(HttpError::PayloadTooLarge);
    return -1;
  }
  return r;
}

bool Session::chunked_over_limit() const {
  // body_limit_ may be "no limit" (UINT64_MAX): no sum may wrap.
  const uint64_t limit = body_limit_;
  if (decoder_.total > limit || decoder_.bytes_left_in_chunk > limit - decoder_.total) return true;
  const uint64_t wire_cap = limit > (UINT64_MAX - kChunkedOverhead) / 2 ? UINT64_MAX : 2 * limit + kChunkedOverhead;
  return chunked_wire_ > wire_cap;
}

size_t Session::parse(char *data, size_t len, uint64_t now, size_t *end) {
  const SessionLimits &lim = *limits_;
  HeaderField fields[kMaxHeaders];
  RequestHead head;
  MessageInfo info;
  size_t pos = 0;
  while (pos < len && state_ != State::Done) {
    if (state_ == State::StreamBody) {
      const size_t n = body_len_ < len - pos ? static_cast<size_t>(body_len_) : len - pos;
      if (n) events_->on_body_data(data + pos, n);
      body_len_ -= n;
      pos += n;
      if (body_len_ == 0) {
        end_stream();
        started_ = now;
      }
      continue;
    }
    if (state_ == State::StreamChunked) {
      char *p = data + pos;
      size_t raw = len - pos;
      const ssize_t r = decode_body(p, &raw);
      if (r == -1) break;
      if (raw) events_->on_body_data(p, raw);
      if (r == -2) {
        pos = len; // the decoder keeps its place: nothing is kept
        break;
      }
      // The bytes after the body now follow the decoded ones.
      len = pos + raw + static_cast<size_t>(r);
      pos += raw;
      end_stream();
      started_ = now;
      continue;
    }
    if (!events_->can_take_request()) {
      // One read can hold thousands of pipelined requests: stop here and keep the rest until the
      // consumer has room, so memory stays bounded whatever the client sends.
      paused_ = true;
      break;
    }
    char *p = data + pos;
    const size_t avail = len - pos;
    bool head_fresh = false;
    if (state_ == State::Head) {
      head.headers = fields;
      head.num_headers = kMaxHeaders;
      const int r = parse_request(p, avail, &head, last_len_);
      if (r == -2) {
        if (avail > lim.max_header_size) {
          // No line end yet: the request line alone is too long.
          fail(std::memchr(p, '\n', avail) ? HttpError::HeadersTooLarge : HttpError::UriTooLong);
          break;
        }
        last_len_ = avail;
        break;
      }
      last_len_ = 0;
      if (r < 0) {
        fail(error_for(head.error));
        break;
      }
      if (static_cast<size_t>(r) > lim.max_header_size) {
        fail(HttpError::HeadersTooLarge);
        break;
      }
      if (head.target_len > lim.max_target_length) {
        fail(HttpError::UriTooLong);
        break;
      }
      if (!analyze_message(head, &info, std::string_view(known_host_, known_host_len_))) {
        fail(error_for(info.error));
        break;
      }
      remember_host(info);
      HttpError target_error;
      if (!classify_target(std::string_view(head.method, head.method_len),
                           std::string_view(head.target, head.target_len), &target_, &target_error)) {
        fail(target_error);
        break;
      }
      head_len_ = static_cast<size_t>(r);
      head_fresh = true;
      BodyPlan plan{lim.body_limit, false};
      if (info.chunked || (info.has_content_length && info.content_length > 0))
        plan = events_->plan_body(head, info, target_, lim.body_limit);
      body_limit_ = plan.limit;
      if (plan.stream) {
        if (info.has_content_length && info.content_length > body_limit_) {
          fail(HttpError::PayloadTooLarge);
          break;
        }
        body_len_ = info.chunked ? 0 : info.content_length;
        decoder_ = ChunkedDecoder{};
        chunked_wire_ = 0;
        stream_request(head, info, p);
        pos += head_len_;
        continue;
      }
      if (info.chunked) {
        state_ = State::ChunkedBody;
        decoder_ = ChunkedDecoder{};
        decoded_ = 0;
        chunked_wire_ = 0;
        if (info.expect_continue) events_->on_continue();
      } else if (info.has_content_length && info.content_length > 0) {
        if (info.content_length > body_limit_) {
          fail(HttpError::PayloadTooLarge);
          break;
        }
        body_len_ = info.content_length;
        if (avail - head_len_ < body_len_) {
          state_ = State::Body;
          if (info.expect_continue) events_->on_continue();
          break;
        }
        request(head, info, p, p + head_len_, static_cast<size_t>(body_len_));
        pos += head_len_ + static_cast<size_t>(body_len_);
        started_ = now;
        continue;
      } else {
        request(head, info, p, nullptr, 0);
        pos += head_len_;
        started_ = now;
        continue;
      }
    }
    if (state_ == State::Body) {
      if (avail < head_len_ + body_len_) break;
      if (!reparse(p, head_len_, &head, fields, &info)) {
        fail(HttpError::BadRequest);
        break;
      }
      request(head, info, p, p + head_len_, static_cast<size_t>(body_len_));
      pos += head_len_ + static_cast<size_t>(body_len_);
      started_ = now;
      continue;
    }
    // Chunked: [head][body decoded so far][raw bytes]; the decoder compacts in place.
    size_t raw = avail - head_len_ - decoded_;
    const ssize_t r = decode_body(p + head_len_ + decoded_, &raw);
    if (r == -1) break;
    decoded_ += raw;
    if (r == -2) {
      len = pos + head_len_ + decoded_;
      break;
    }
    if (!head_fresh && !reparse(p, head_len_, &head, fields, &info)) {
      fail(HttpError::BadRequest);
      break;
    }
    request(head, info, p, p + head_len_, decoded_);
    const size_t next = pos + head_len_ + decoded_;
    len = next + static_cast<size_t>(r);
    pos = next;
    started_ = now;
  }
  *end = len;
  return pos;
}

void Session::keep(char *data, size_t from, size_t len, bool owned) {
  if (state_ == State::Done) {
    discarded_ = discarded_ || from < len; // bytes behind the last request
    kept_len_ = 0;
  } else {
    const size_t rest = len - from;
    if (owned) {
      if (from > 0 && rest > 0) std::memmove(kept_, kept_ + from, rest);
    } else if (rest > 0) {
      if (!reserve(rest)) {
        kept_len_ = 0;
        return fail(HttpError::OutOfMemory);
      }
      std::memcpy(kept_, data + from, rest);
    }
    kept_len_ = rest;
  }
  if (kept_len_ == 0 && kept_cap_ > kKeepCapacity) {
    std::free(kept_);
    kept_ = nullptr;
    kept_cap_ = 0;
  }
}

} // namespace uvhttp
