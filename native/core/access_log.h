// The access log: one line per answered request, written natively so that natively served requests
// (static routes, files, canned errors) are logged without entering JavaScript.
//
// Formats: Common Log Format, the Combined format (nginx's and Apache's default: CLF plus Referer and
// User-Agent), or JSON lines. Lines gather in a buffer written when it passes 64 KiB, once a second
// (the server's tick) and at close; reopen() starts a new file at the same path, for logrotate.
//
// A request's fields are taken when it is routed (its bytes are valid only then) and its line is
// finished when its answer is known: at once for a native answer, later for a JS one. A request the
// connection ends without answering (the client left, the server's deadline) is logged with 499, as
// nginx does.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/parser.h"

namespace uvhttp {

enum class AccessLogFormat : uint8_t { Common, Combined, Json };

// The fields of the request being routed, pointing into its bytes: valid only while it is routed.
struct RoutedRequest {
  uint32_t seq;
  bool http10;
  std::string_view method, target;
  const HeaderField *referer, *agent; // null when absent
  uint64_t started_ns;                // wall clock (JSON only)
};

// What one connection has to log: its client, the request being routed, and the requests routed but
// not yet answered.
struct ConnectionLog {
  struct Entry {
    uint32_t seq;
    int status;         // set by a streamed response's first part
    uint64_t bytes;     // body bytes sent so far
    uint64_t started_ns; // JSON's duration
    size_t split;       // text[0, split) comes before the status, text[split, end) after the bytes
    std::string text;
  };
  std::string client; // the client's address, "-" when it has none (a socket pair)
  RoutedRequest routed{};
  bool routing = false; // routed holds a request not yet answered nor kept
  std::vector<Entry> pending;
  std::string spare; // the last finished entry's buffer, for the next one
};

class AccessLog {
public:
  // Appends to the file at path (created 0644 when missing); an empty path is stdout. Null and *err
  // set (an errno value) when the file cannot be opened.
  static std::unique_ptr<AccessLog> open(const std::string &path, AccessLogFormat format, int *err);
  ~AccessLog();
  AccessLog(const AccessLog &) = delete;
  AccessLog &operator=(const AccessLog &) = delete;

  // A request is being routed. A native answer finishes it before routing ends, and its line is
  // written from the request's bytes in one pass; keep() copies what a later answer needs.
  void begin(ConnectionLog &c, uint32_t seq, const RequestHead &head);
  // Routing has ended: a request still unanswered (it went to JS) keeps its fields for its line.
  void keep(ConnectionLog &c);
  // A streamed response started with this status.
  void started(ConnectionLog &c, uint32_t seq, int status, uint64_t bytes);
  // More body bytes of a streamed response.
  void sent(ConnectionLog &c, uint32_t seq, uint64_t bytes);
  // Request seq is answered. With no begin() for seq (a malformed request, a timeout before the head
  // was whole) the line has "-" for the request.
  void finish(ConnectionLog &c, uint32_t seq, int status, uint64_t bytes);
  // The connection ends: what it never answered is logged with 499.
  void abandon(ConnectionLog &c);

  // Writes what is buffered (what a full pipe or disk refuses stays, up to a bound).
  void flush();
  // Flushes, then opens the path again (the old file was renamed by logrotate). Returns 0 or errno;
  // on failure the old file stays in use.
  int reopen();

  uint64_t lines() const { return lines_; }
  uint64_t dropped() const { return dropped_; }

private:
  AccessLog(int fd, std::string path, AccessLogFormat format);
  // Every line is appended whole or not at all: compose writes it; a full buffer or no memory drops
  // it, and counts it, instead.
  template <typename Compose> void append_line(Compose &&compose);
  // The line of a kept entry; without one (a malformed request, a head never completed) "-" stands
  // for the request.
  void write_line(const ConnectionLog &c, const ConnectionLog::Entry *e, int status, uint64_t bytes);
  // The parts of a line before the status and after the bytes.
  void fields_before(std::string &out, const ConnectionLog &c, const RoutedRequest &r);
  void fields_after(std::string &out, const RoutedRequest &r);
  // status and bytes (and JSON's ms), between the two.
  void append_outcome(std::string &out, int status, uint64_t bytes, uint64_t started_ns);
  // A second of wall-clock time, formatted for the log's format (cached per second).
  std::string_view clock_text(std::time_t second);

  int fd_;
  const std::string path_; // empty: stdout, which is never closed or reopened
  const AccessLogFormat format_;
  std::string buffer_;
  uint64_t lines_ = 0;
  uint64_t dropped_ = 0;
  int64_t clock_second_ = -1;
  char clock_[64] = {0};
  size_t clock_len_ = 0;
};

} // namespace uvhttp
