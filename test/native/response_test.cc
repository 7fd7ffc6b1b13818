// Unit tests for native/response.cc and native/date_cache.cc: the rendered tail of every response,
// and the queue that keeps pipelined responses in request order.
#include <ctime>
#include <string>

#include "check.h"
#include "date_cache.h"
#include "response.h"

using uvhttp::ConnectionHeader;
using uvhttp::DateCache;
using uvhttp::ResponseQueue;

namespace {

void dates() {
  DateCache d;
  d.update(0);
  check::that(std::string(d.value()) == "Thu, 01 Jan 1970 00:00:00 GMT", std::string("epoch: ") + d.value());
  d.update(784111777); // RFC 9110's example
  check::that(std::string(d.value()) == "Sun, 06 Nov 1994 08:49:37 GMT", std::string("rfc example: ") + d.value());
  d.update(4102444799); // last second of 2099
  check::that(std::string(d.value(), DateCache::kLength) == "Thu, 31 Dec 2099 23:59:59 GMT", "2099");
}

void rendering() {
  DateCache d;
  d.update(784111777);
  const std::string date = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
  std::string out;
  uvhttp::render(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "hi", false, ConnectionHeader::None, d);
  check::that(out == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + date + "\r\nhi", "keep-alive 1.1: " + out);
  out.clear();
  uvhttp::render(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "hi", true, ConnectionHeader::KeepAlive, d);
  check::that(out == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + date + "Connection: keep-alive\r\n\r\n",
              "HEAD for an HTTP/1.0 keep-alive client: " + out);
  out.clear();
  uvhttp::render(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n", "x", false, ConnectionHeader::Close, d);
  check::that(out == "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n" + date + "Connection: close\r\n\r\nx",
              "close: " + out);
}

void ordering() {
  ResponseQueue q;
  q.reserve(5, false, ConnectionHeader::None, false);
  q.push_ready(6, false).data = "six";
  q.reserve(7, true, ConnectionHeader::Close, true);
  check::that(q.size() == 3, "three slots");
  check::that(q.find(6) == nullptr, "a ready slot is not found again");
  ResponseQueue::Slot *s7 = q.find(7);
  check::that(s7 && s7->omit_body && s7->close_after && !q.front_is(s7), "slot 7 keeps its flags, not in front");
  ResponseQueue::Slot *s5 = q.find(5);
  check::that(s5 && q.front_is(s5), "slot 5 is in front");
  check::that(q.find(4) == nullptr && q.find(8) == nullptr, "unknown sequence numbers are not found");
  q.pop_front();
  check::that(q.front().ready && q.front().data == "six", "the ready slot behind it is next");
  q.pop_front();
  check::that(q.find(7) != nullptr && q.front_is(q.find(7)), "then 7");
  q.pop_front();
  check::that(q.empty(), "empty at the end");

  // Sequence numbers wrap around 2^32 without losing order.
  ResponseQueue w;
  w.reserve(0xffffffffu, false, ConnectionHeader::None, false);
  w.reserve(0, false, ConnectionHeader::None, false);
  check::that(w.find(0) != nullptr && !w.front_is(w.find(0)) && w.front_is(w.find(0xffffffffu)), "wrap-around");
}

} // namespace

int main() {
  dates();
  rendering();
  ordering();
  return check::summary("response");
}
