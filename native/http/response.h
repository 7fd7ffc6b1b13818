// Rendering a response into a connection's output (the order is kept by output_queue.h).
//
// Every response leaves the head open: the status line and the route's own header fields are prepared
// ahead (static routes once at registration, dynamic ones by JS), and the tail -- Date, Connection,
// the empty line -- is added here at send time, so those rules live in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/date_cache.h"

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

// The status code of a response head ("HTTP/1.1 200 OK\r\n..."), for those that record an answer whose
// head came ready-made (a static route's, a file's, JS's). 0 when the head does not start with a
// status line.
int status_code(std::string_view head);

} // namespace uvhttp
