// Unit tests for native/response.cc and native/date_cache.cc: the rendered tail of every response.
#include <ctime>
#include <string>

#include "check.h"
#include "http/date_cache.h"
#include "http/response.h"

using uvhttp::ConnectionHeader;
using uvhttp::DateCache;

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

void status_codes() {
  struct Case {
    const char *head;
    int code;
    const char *what;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\n", 200, "200"},
      {"HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n", 404, "404 with fields"},
      {"HTTP/1.0 304 Not Modified\r\n", 304, "HTTP/1.0"},
      {"HTTP/1.1 100 Continue\r\n\r\n", 100, "interim"},
      {"HTTP/1.1 204", 204, "exactly the status line's first 12 bytes"},
      {"HTTP/1.1 599 Custom\r\n", 599, "a code the server has no phrase for"},
      {"", 0, "empty"},
      {"HTTP/1.1 20", 0, "cut in the code"},
      {"HTTP/1.1 2x0 OK\r\n", 0, "not digits"},
      {"HTTP/1.1 -20 OK\r\n", 0, "a sign"},
      {"HTTP/1.1  200 OK\r\n", 0, "two spaces"},
      {"HTTP/1.1\t200 OK\r\n", 0, "no space after the version"},
      {"Content-Length: 2\r\n", 0, "no status line"},
  };
  for (const Case &c : cases) {
    const int got = uvhttp::status_code(c.head);
    check::that(got == c.code, std::string(c.what) + ": got " + std::to_string(got));
  }
}

} // namespace

int main() {
  dates();
  rendering();
  status_codes();
  return check::summary("response");
}
