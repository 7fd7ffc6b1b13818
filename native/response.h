// Rendering responses into a connection's corked output, and keeping pipelined responses in order.
//
// Every response leaves the head open: the status line and the route's own header fields are prepared
// ahead (static routes once at registration, dynamic ones by JS), and the tail -- Date, Connection,
// the empty line -- is added here at send time, so those rules live in one place.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "date_cache.h"

namespace uvhttp {

// What the Connection header of a response must say.
enum class ConnectionHeader : uint8_t {
  None,      // HTTP/1.1 keep-alive: nothing to say
  KeepAlive, // HTTP/1.0 client asked to keep the connection
  Close,     // the connection ends after this response
};

struct StaticResponse {
  std::string head; // status line and header fields, each ending in CRLF, without Date
  std::string body;
};

// Appends head + Date + Connection + CRLF (+ body unless omit_body).
void render(std::string &out, std::string_view head, std::string_view body, bool omit_body,
            ConnectionHeader conn, const DateCache &date);

// Responses of one connection in request order. A slot is reserved when a request goes to JS; a
// response that is ready while earlier ones are not waits in its slot.
class ResponseQueue {
public:
  struct Slot {
    uint32_t seq;
    bool ready;
    bool omit_body;
    bool close_after;
    ConnectionHeader conn;
    std::string data;
  };

  bool empty() const { return slots_.empty(); }
  size_t size() const { return slots_.size(); }
  // Reserves the slot for a request whose response comes later.
  void reserve(uint32_t seq, bool omit_body, ConnectionHeader conn, bool close_after);
  // The reserved slot for seq, or nullptr (already answered, or connection reset).
  Slot *find(uint32_t seq);
  bool front_is(const Slot *s) const { return !slots_.empty() && &slots_.front() == s; }
  void pop_front() { slots_.pop_front(); }
  Slot &front() { return slots_.front(); }
  // A response that is ready now but must wait behind earlier ones.
  Slot &push_ready(uint32_t seq, bool close_after);
  void clear() { slots_.clear(); }

private:
  std::deque<Slot> slots_;
};

} // namespace uvhttp
