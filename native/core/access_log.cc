#include "core/access_log.h"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <exception>

#include "http/field_name.h"

#ifdef _WIN32
#include <io.h>
#define UVHTTP_WRITE _write
#define UVHTTP_CLOSE _close
#else
#include <unistd.h>
#define UVHTTP_WRITE ::write
#define UVHTTP_CLOSE ::close
#endif

namespace uvhttp {

namespace {

// Written when this much gathers (else once a second); past kMaxBuffer (a reader that stopped
// taking, a full disk) new lines are dropped and counted rather than held without bound.
constexpr size_t kFlushAt = 64 * 1024;
constexpr size_t kMaxBuffer = 4 * 1024 * 1024;

constexpr char kHex[] = "0123456789abcdef";

// CLF fields are quoted: a quote, a backslash or a byte outside printable ASCII is escaped as nginx
// does (\x22), so a client cannot forge a field or a line.
bool clf_safe(unsigned char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; }

void append_clf(std::string &out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;
    while (run < s.size() && clf_safe(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.data() + i, run - i); // runs of plain bytes in one copy: most fields are one run
    if (run == s.size()) return;
    const auto c = static_cast<unsigned char>(s[run]);
    const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    out.append(esc, 4);
    i = run + 1;
  }
}

// JSON strings: bytes outside printable ASCII are \u00XX (each byte one code point), so every line
// is valid JSON whatever the client sent.
void append_json(std::string &out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;
    while (run < s.size() && clf_safe(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.data() + i, run - i);
    if (run == s.size()) return;
    const auto c = static_cast<unsigned char>(s[run]);
    if (c == '"' || c == '\\') {
      const char esc[2] = {'\\', static_cast<char>(c)};
      out.append(esc, 2);
    } else {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, 6);
    }
    i = run + 1;
  }
}

const HeaderField *find(const RequestHead &head, std::string_view lower) {
  for (size_t i = 0; i < head.num_headers; ++i)
    if (field_name_is(head.headers[i], lower)) return &head.headers[i];
  return nullptr;
}

std::string_view value(const HeaderField *h) { return h ? std::string_view(h->value, h->value_len) : std::string_view(); }

void append_number(std::string &out, uint64_t v) {
  char digits[24];
  char *end = digits + sizeof(digits), *p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(end - p));
}

// Wall-clock nanoseconds: one clock read gives a JSON line both its time and its start.
uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

} // namespace

std::unique_ptr<AccessLog> AccessLog::open(const std::string &path, AccessLogFormat format, int *err) {
  int fd = 1;
  if (!path.empty()) {
#ifdef _WIN32
    fd = _open(path.c_str(), _O_WRONLY | _O_APPEND | _O_CREAT | _O_BINARY, 0644);
#else
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
#endif
    if (fd < 0) {
      *err = errno;
      return nullptr;
    }
  }
  return std::unique_ptr<AccessLog>(new AccessLog(fd, path, format));
}

AccessLog::AccessLog(int fd, std::string path, AccessLogFormat format) : fd_(fd), path_(std::move(path)), format_(format) {}

AccessLog::~AccessLog() {
  flush();
  if (!path_.empty()) UVHTTP_CLOSE(fd_);
}

std::string_view AccessLog::clock_text(std::time_t t) {
  if (t != clock_second_) {
    clock_second_ = t;
    std::tm tm{};
    size_t n;
    if (format_ == AccessLogFormat::Json) {
#ifdef _WIN32
      gmtime_s(&tm, &t);
#else
      gmtime_r(&t, &tm);
#endif
      n = std::strftime(clock_, sizeof(clock_), "%Y-%m-%dT%H:%M:%S", &tm);
    } else {
      // CLF's own form, in local time with its offset: [10/Oct/2000:13:55:36 -0700].
#ifdef _WIN32
      localtime_s(&tm, &t);
#else
      localtime_r(&t, &tm);
#endif
      n = std::strftime(clock_, sizeof(clock_), "%d/%b/%Y:%H:%M:%S %z", &tm);
    }
    clock_len_ = n;
  }
  return std::string_view(clock_, clock_len_);
}

void AccessLog::begin(ConnectionLog &c, uint32_t seq, const RequestHead &head) {
  RoutedRequest &r = c.routed;
  r.seq = seq;
  r.http10 = head.minor_version == 0;
  r.method = std::string_view(head.method, head.method_len);
  r.target = std::string_view(head.target, head.target_len);
  const bool fields = format_ != AccessLogFormat::Common;
  r.referer = fields ? find(head, "referer") : nullptr;
  r.agent = fields ? find(head, "user-agent") : nullptr;
  r.started_ns = format_ == AccessLogFormat::Json ? now_ns() : 0;
  c.routing = true;
}

void AccessLog::keep(ConnectionLog &c) {
  if (!c.routing) return;
  c.routing = false;
  try {
    // An entry's buffer is reused from the last one finished: no allocation per request once warm.
    std::string text = std::move(c.spare);
    text.clear();
    fields_before(text, c, c.routed);
    const size_t split = text.size();
    fields_after(text, c.routed);
    c.pending.push_back(ConnectionLog::Entry{c.routed.seq, 0, 0, c.routed.started_ns, split, std::move(text)});
  } catch (const std::exception &) {
    // Out of memory: its line will have "-" for the request.
  }
}

void AccessLog::fields_before(std::string &t, const ConnectionLog &c, const RoutedRequest &r) {
  const char *version = r.http10 ? "HTTP/1.0" : "HTTP/1.1";
  if (format_ == AccessLogFormat::Json) {
    const uint64_t ms = r.started_ns / 1000000 % 1000;
    t += "{\"time\":\"";
    t += clock_text(static_cast<std::time_t>(r.started_ns / 1000000000)); // the same read as its ms
    const char frac[5] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10), 'Z'};
    t.append(frac, 5);
    t += "\",\"remote\":\"";
    append_json(t, c.client);
    t += "\",\"method\":\"";
    append_json(t, r.method);
    t += "\",\"url\":\"";
    append_json(t, r.target);
    t += "\",\"protocol\":\"";
    t += version;
    t += '"';
    return;
  }
  t += c.client;
  t += " - - [";
  t += clock_text(std::time(nullptr));
  t += "] \"";
  append_clf(t, r.method);
  t += ' ';
  append_clf(t, r.target);
  t += ' ';
  t += version;
  t += '"';
}

void AccessLog::fields_after(std::string &t, const RoutedRequest &r) {
  switch (format_) {
  case AccessLogFormat::Common: return;
  case AccessLogFormat::Combined:
    t += " \"";
    if (r.referer) append_clf(t, value(r.referer));
    else t += '-';
    t += "\" \"";
    if (r.agent) append_clf(t, value(r.agent));
    else t += '-';
    t += '"';
    return;
  case AccessLogFormat::Json:
    if (r.referer) {
      t += ",\"referer\":\"";
      append_json(t, value(r.referer));
      t += '"';
    }
    if (r.agent) {
      t += ",\"userAgent\":\"";
      append_json(t, value(r.agent));
      t += '"';
    }
    t += '}';
    return;
  }
}

void AccessLog::append_outcome(std::string &b, int status, uint64_t bytes, uint64_t started_ns) {
  if (format_ == AccessLogFormat::Json) {
    b += ",\"status\":";
    append_number(b, static_cast<uint64_t>(status));
    b += ",\"bytes\":";
    append_number(b, bytes);
    if (started_ns == 0) return;
    // Milliseconds with microseconds, from routing to the answer being handed to the connection.
    const uint64_t end = now_ns();
    const uint64_t us = end > started_ns ? (end - started_ns) / 1000 : 0; // the wall clock may step back
    b += ",\"ms\":";
    append_number(b, us / 1000);
    const char frac[4] = {'.', static_cast<char>('0' + us / 100 % 10), static_cast<char>('0' + us / 10 % 10),
                          static_cast<char>('0' + us % 10)};
    b.append(frac, 4);
    return;
  }
  b += ' ';
  append_number(b, static_cast<uint64_t>(status));
  b += ' ';
  if (bytes == 0) b += '-';
  else append_number(b, bytes);
}

void AccessLog::started(ConnectionLog &c, uint32_t seq, int status, uint64_t bytes) {
  for (ConnectionLog::Entry &e : c.pending) {
    if (e.seq != seq) continue;
    e.status = status;
    e.bytes += bytes;
    return;
  }
}

void AccessLog::sent(ConnectionLog &c, uint32_t seq, uint64_t bytes) {
  for (ConnectionLog::Entry &e : c.pending) {
    if (e.seq == seq) {
      e.bytes += bytes;
      return;
    }
  }
}

template <typename Compose> void AccessLog::append_line(Compose &&compose) {
  if (buffer_.size() >= kMaxBuffer) {
    ++dropped_;
    return;
  }
  const size_t mark = buffer_.size();
  try {
    compose(buffer_);
    buffer_ += '\n';
  } catch (const std::exception &) {
    buffer_.resize(mark);
    ++dropped_;
    return;
  }
  ++lines_;
  if (buffer_.size() >= kFlushAt) flush();
}

void AccessLog::finish(ConnectionLog &c, uint32_t seq, int status, uint64_t bytes) {
  if (c.routing && c.routed.seq == seq) {
    // Answered while routed (natively): the line is written from the request's own bytes.
    c.routing = false;
    return append_line([&](std::string &b) {
      fields_before(b, c, c.routed);
      append_outcome(b, status, bytes, c.routed.started_ns);
      fields_after(b, c.routed);
    });
  }
  // The newest entry for a native answer, the oldest for a JS one: both ends are looked at first.
  for (size_t i = c.pending.size(); i-- > 0;) {
    ConnectionLog::Entry &e = c.pending[i];
    if (e.seq != seq) continue;
    // A stream that failed before its head went out was never answered: the server's failure.
    write_line(c, &e, status != 0 ? status : e.status != 0 ? e.status : 500, e.bytes + bytes);
    c.spare = std::move(e.text);
    c.pending.erase(c.pending.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
  write_line(c, nullptr, status, bytes);
}

void AccessLog::abandon(ConnectionLog &c) {
  if (c.routing) finish(c, c.routed.seq, 499, 0); // closed while its request was being routed
  for (ConnectionLog::Entry &e : c.pending) write_line(c, &e, 499, e.bytes);
  c.pending.clear();
}

void AccessLog::write_line(const ConnectionLog &c, const ConnectionLog::Entry *e, int status, uint64_t bytes) {
  append_line([&](std::string &b) {
    if (e && !e->text.empty()) {
      b.append(e->text, 0, e->split);
      append_outcome(b, status, bytes, e->started_ns);
      b.append(e->text, e->split, std::string::npos);
    } else if (format_ == AccessLogFormat::Json) {
      // No request to name: malformed, or timed out before its head was whole.
      b += "{\"time\":\"";
      b += clock_text(std::time(nullptr));
      b += "Z\",\"remote\":\"";
      append_json(b, c.client);
      b += '"';
      append_outcome(b, status, bytes, 0);
      b += '}';
    } else {
      b += c.client;
      b += " - - [";
      b += clock_text(std::time(nullptr));
      b += "] \"-\"";
      append_outcome(b, status, bytes, 0);
      if (format_ == AccessLogFormat::Combined) b += " \"-\" \"-\"";
    }
  });
}

void AccessLog::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const auto n = UVHTTP_WRITE(fd_, buffer_.data() + done, static_cast<unsigned>(buffer_.size() - done));
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break; // a full pipe: the rest waits
    // The file cannot be written (disk full, closed): what is buffered is lost, and counted.
    for (size_t i = done; i < buffer_.size(); ++i)
      if (buffer_[i] == '\n') ++dropped_;
    done = buffer_.size();
  }
  buffer_.erase(0, done);
}

int AccessLog::reopen() {
  flush();
  if (path_.empty()) return 0;
#ifdef _WIN32
  const int fd = _open(path_.c_str(), _O_WRONLY | _O_APPEND | _O_CREAT | _O_BINARY, 0644);
#else
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
#endif
  if (fd < 0) return errno;
  UVHTTP_CLOSE(fd_);
  fd_ = fd;
  return 0;
}

} // namespace uvhttp
