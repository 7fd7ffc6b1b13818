// Unit tests for native/session.cc on raw bytes: every input gives the same events whether it arrives
// whole, split at any byte position or one byte at a time; limits are enforced as soon as a size is
// declared; pausing keeps input; the start time of a request is its own.
#include <string>
#include <vector>

#include "check.h"
#include "session_harness.h"

using session_harness::Recorder;
using session_harness::run;
using uvhttp::Session;
using uvhttp::SessionLimits;

namespace {

const std::string kPipeline =
    "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-User: alice\r\n\r\n"
    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n"
    "\r\nGET /d HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok"
    "GET /e HTTP/1.0\r\n\r\n"
    "GET /never HTTP/1.1\r\nHost: h\r\n\r\n";

// The events without 100 Continue, which rightly depends on whether the body came with the head.
std::string requests(std::string log) {
  for (size_t at; (at = log.find("100;\n")) != std::string::npos;) log.erase(at, 5);
  return log;
}

// The same events for every way of cutting the input into two reads, and for one byte a read.
void every_split(const std::string &name, const std::string &input, const SessionLimits &limits,
                 bool stream = false, uint64_t stream_limit = 0) {
  const std::string whole = requests(run(input, {}, limits, stream, stream_limit));
  check::that(!whole.empty(), name + ": some events");
  int mismatches = 0;
  for (size_t cut = 1; cut < input.size(); ++cut) {
    const std::string split = requests(run(input, {cut, input.size()}, limits, stream, stream_limit));
    if (split != whole && mismatches++ < 3)
      check::that(false, name + ": split at " + std::to_string(cut) + " gave\n" + split + "instead of\n" + whole);
  }
  check::that(mismatches == 0, name + ": every two-piece split");
  const std::string bytewise = requests(run(input, {1}, limits, stream, stream_limit));
  check::that(bytewise == whole, name + ": one byte a read gave\n" + bytewise + "instead of\n" + whole);
}

void pipelining() {
  SessionLimits limits;
  const std::string log = run(kPipeline, {}, limits);
  const std::string want =
      "REQ GET /a?x=1 [Host=h] [X-User=alice] body=;\n"
      "REQ POST /b [Host=h] [Content-Length=5] body=hello;\n"
      "REQ POST /c [Host=h] [Transfer-Encoding=chunked] body=abcde;\n"
      "REQ GET /d [Host=h] [Expect=100-continue] [Content-Length=2] body=ok;\n"
      "REQ GET /e body= (last);\n"
      "DONE;\n";
  check::that(log == want, "pipeline whole:\n" + log);
  every_split("pipeline", kPipeline, limits);
  // 100 Continue is asked for only when the body has not arrived with the head.
  const std::string expect = "POST /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  check::that(run(expect + "abc", {expect.size(), 3}, limits) == "100;\nREQ POST /u [Host=h] [Expect=100-continue] [Content-Length=3] body=abc;\n",
              "100-continue before a body still to come");
}

void errors_and_limits() {
  SessionLimits limits;
  limits.body_limit = 10;
  limits.max_header_size = 200;
  limits.max_target_length = 50;
  every_split("bad after good", "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost h\r\n\r\n", limits);
  every_split("body over the limit", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n01234567890", limits);
  every_split("chunked over the limit", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n", limits);
  every_split("target too long", "GET /" + std::string(60, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", limits);
  every_split("head too large", "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a') + "\r\n\r\n", limits);

  // A declared chunk size over the limit is refused when its size line is read, before its data.
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string log = run(head + "ffff\r\nab", {}, limits);
  check::that(log.find("ERR") != std::string::npos && log.find("REQ") == std::string::npos,
              "a chunk size over bodyLimit fails at once:\n" + log);
  // Content-Length over the limit: refused with only the head received.
  check::that(run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", {}, limits).find("ERR") != std::string::npos,
              "a Content-Length over bodyLimit fails before the body");

  // After an error nothing more is parsed, and the session knows input was dropped.
  Recorder r;
  Session s(&limits, &r);
  std::string bad = "BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  s.feed(bad.data(), bad.size(), 0);
  check::that(s.done() && s.discarded_input() && r.log.find("REQ") == std::string::npos, "nothing after an error");
}

void last_request() {
  SessionLimits limits;
  Recorder r;
  Session s(&limits, &r);
  std::string in = "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  s.feed(in.data(), in.size(), 0);
  check::that(s.done() && !s.discarded_input(), "a clean last request: nothing dropped");
  std::string more = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  s.feed(more.data(), more.size(), 0);
  check::that(s.discarded_input() && r.log.find("/b") == std::string::npos, "bytes after the last request are dropped");
}

void pausing() {
  SessionLimits limits;
  // Takes one request, then refuses until opened.
  struct OneAtATime : Recorder {
    bool open = false;
    bool can_take_request() override { return open || log.empty(); }
  } one;
  Session p(&limits, &one);
  std::string in = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
  p.feed(in.data(), in.size(), 0);
  check::that(p.paused() && p.has_input(), "paused after one request, the rest kept");
  check::that(one.log.find("/1") != std::string::npos && one.log.find("/2") == std::string::npos, "only /1 so far");
  one.open = true;
  p.resume(5);
  check::that(!p.paused() && !p.has_input(), "resumed, nothing kept");
  check::that(one.log.find("/2") != std::string::npos && one.log.find("/3") != std::string::npos, "then /2 and /3:\n" + one.log);
}

void request_start_times() {
  SessionLimits limits;
  Recorder r;
  Session s(&limits, &r);
  std::string a1 = "GET /a HTTP/1.1\r\nHost: h\r\n";
  s.feed(a1.data(), a1.size(), 50);
  check::that(s.started() == 50, "the first request started at its first read");
  // The rest of /a and the start of /b arrive together at 100: /b started at 100, not at 50.
  std::string a2b = "\r\nGET /b HTTP/1.1\r\n";
  char *buf;
  size_t cap;
  check::that(s.read_space(&buf, &cap) && cap >= a2b.size(), "a partial request reads in place");
  std::memcpy(buf, a2b.data(), a2b.size());
  s.fed_in_place(a2b.size(), 100);
  check::that(r.log.find("/a") != std::string::npos && s.has_input() && s.receiving_head(), "/a done, /b partial");
  check::that(s.started() == 100, "/b started with the read that brought it: " + std::to_string(s.started()));
}

void finishing() {
  SessionLimits limits;
  Recorder r;
  Session s(&limits, &r);
  std::string part = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc";
  s.feed(part.data(), part.size(), 0);
  check::that(s.has_input() && s.capacity() > 0, "a partial body is kept");
  s.finish();
  check::that(s.done() && s.discarded_input() && s.capacity() == 0, "finish drops it and frees the buffer");
}

// Streamed bodies: the request at the end of its head, its bytes as they come, in the same order and
// with the same limits however the input is cut; no 100 Continue from the session.
void streamed_bodies() {
  SessionLimits limits;
  limits.body_limit = 4; // buffered bodies; the streamed ones have their own limit
  const std::string log = run(kPipeline, {}, limits, true, 100);
  const std::string want =
      "REQ GET /a?x=1 [Host=h] [X-User=alice] body=;\n"
      "REQ POST /b [Host=h] [Content-Length=5] body>>;\n"
      "BODY hello END;\n"
      "REQ POST /c [Host=h] [Transfer-Encoding=chunked] body>>;\n"
      "BODY abcde END;\n"
      "REQ GET /d [Host=h] [Expect=100-continue] [Content-Length=2] body>>;\n"
      "BODY ok END;\n"
      "REQ GET /e body= (last);\n"
      "DONE;\n";
  check::that(log == want, "streamed pipeline whole:\n" + log);
  every_split("streamed pipeline", kPipeline, limits, true, 100);
  const std::string last = "POST /z HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\nxyzGET / HTTP/1.1\r\n\r\n";
  check::that(run(last, {}, limits, true, 100) ==
                  "REQ POST /z [Host=h] [Connection=close] [Content-Length=3] body>> (last);\nBODY xyz END;\nDONE;\n",
              "the last request's body is still read, and nothing after it");
  every_split("streamed over a declared length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n01234567890", limits, true, 10);
  every_split("streamed chunked over the limit", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n", limits, true, 10);
  every_split("streamed bad chunk", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", limits, true, 10);
  check::that(run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", {}, limits, true, 10) == "ERR " + std::to_string(static_cast<int>(uvhttp::HttpError::PayloadTooLarge)) + ";\nDONE;\n",
              "a declared length over the limit is refused before the request goes on");
  // No limit at all: sums near 2^64 must not wrap into "within the limit".
  check::that(run("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", {}, limits, true, UINT64_MAX) ==
                  "REQ POST / [Host=h] [Transfer-Encoding=chunked] body>>;\nBODY abc END;\n",
              "no limit");
  check::that(run("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", {}, limits, true, UINT64_MAX - 10) ==
                  "REQ POST / [Host=h] [Transfer-Encoding=chunked] body>>;\nERR " + std::to_string(static_cast<int>(uvhttp::HttpError::PayloadTooLarge)) + ";\nDONE;\n",
              "a chunk size past a huge limit");
}

} // namespace

int main() {
  pipelining();
  errors_and_limits();
  last_request();
  pausing();
  request_start_times();
  finishing();
  streamed_bodies();
  return check::summary("session");
}
