// A request body streamed to JS (a route registered with stream: true): the bytes the socket brought
// that JS has not taken yet. JS takes them when its stream is read; while the body holds kMaxBuffered
// bytes its connection stops reading the socket, so a fast client cannot outrun a slow handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "http/http_errors.h"

namespace uvhttp {

class RequestBody {
public:
  static constexpr size_t kMaxBuffered = 256 * 1024;

  enum class Take : uint8_t {
    Data,  // *out holds bytes
    Wait,  // nothing yet: JS hears when there is (waiting() is true until then)
    End,   // the body is complete and all taken
    Error, // the body failed (error() says why)
  };

  RequestBody(uint32_t seq, bool continue_owed) : seq_(seq), continue_owed_(continue_owed) {}

  uint32_t seq() const { return seq_; }
  bool receiving() const { return state_ == State::Receiving; }
  bool full() const { return buffered_.size() >= kMaxBuffered; }
  HttpError error() const { return error_; }
  // JS asked for bytes and got none: it waits to be told.
  bool waiting() const { return waiting_; }
  void woken() { waiting_ = false; }

  // Throws std::bad_alloc.
  void append(const char *data, size_t len) { buffered_.append(data, len); }
  void end() { state_ = State::Ended; }
  void fail(HttpError e) {
    state_ = State::Failed;
    error_ = e;
  }
  // True once: the client waits for 100 Continue before it sends the body.
  bool take_continue() {
    const bool owed = continue_owed_;
    continue_owed_ = false;
    return owed;
  }

  Take take(std::string *out) {
    if (!buffered_.empty()) {
      out->swap(buffered_);
      std::string().swap(buffered_); // a full buffer's memory goes with the bytes
      return Take::Data;
    }
    switch (state_) {
    case State::Receiving: waiting_ = true; return Take::Wait;
    case State::Ended: return Take::End;
    case State::Failed: return Take::Error;
    }
    return Take::Error;
  }

private:
  enum class State : uint8_t { Receiving, Ended, Failed };
  uint32_t seq_;
  State state_ = State::Receiving;
  HttpError error_ = HttpError::BadRequest;
  bool continue_owed_;
  bool waiting_ = false;
  std::string buffered_;
};

} // namespace uvhttp
