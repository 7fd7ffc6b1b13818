#include "core/access_log.h"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>

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
void append_clf(std::string &out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

// JSON strings: bytes outside printable ASCII are \u00XX (each byte one code point), so every line
// is valid JSON whatever the client sent.
void append_json(std::string &out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c > 0x7e) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

bool name_is(const HeaderField &h, std::string_view lower) {
  if (h.name_len != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = h.name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

const HeaderField *find(const RequestHead &head, std::string_view lower) {
  for (size_t i = 0; i < head.num_headers; ++i)
    if (name_is(head.headers[i], lower)) return &head.headers[i];
  return nullptr;
}

std::string_view value(const HeaderField *h) { return h ? std::string_view(h->value, h->value_len) : std::string_view(); }

void append_number(std::string &out, uint64_t v) {
  char digits[24];
  int n = std::snprintf(digits, sizeof(digits), "%llu", static_cast<unsigned long long>(v));
  out.append(digits, static_cast<size_t>(n));
}

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
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

int AccessLog::status_of(std::string_view head) {
  // "HTTP/1.1 200 ..."
  if (head.size() < 12 || head[8] != ' ') return 0;
  int v = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    v = v * 10 + (head[i] - '0');
  }
  return v;
}

std::string_view AccessLog::clock_text() {
  const std::time_t t = std::time(nullptr);
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
  try {
    // An entry's buffer is reused from the last one finished: no allocation per request once warm.
    std::string text = std::move(c.spare);
    text.clear();
    c.pending.push_back(ConnectionLog::Entry{seq, 0, 0, 0, 0, std::move(text)});
    ConnectionLog::Entry &e = c.pending.back();
    std::string &t = e.text;
    const std::string_view method(head.method, head.method_len), target(head.target, head.target_len);
    const char *version = head.minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
    if (format_ == AccessLogFormat::Json) {
      e.started_ns = now_ns();
      const auto ms = (std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count()) % 1000;
      t += "{\"time\":\"";
      t += clock_text();
      t += '.';
      t += static_cast<char>('0' + ms / 100);
      t += static_cast<char>('0' + ms / 10 % 10);
      t += static_cast<char>('0' + ms % 10);
      t += "Z\",\"remote\":\"";
      append_json(t, c.client);
      t += "\",\"method\":\"";
      append_json(t, method);
      t += "\",\"url\":\"";
      append_json(t, target);
      t += "\",\"protocol\":\"";
      t += version;
      t += '"';
      e.split = t.size();
      if (const HeaderField *h = find(head, "referer")) {
        t += ",\"referer\":\"";
        append_json(t, value(h));
        t += '"';
      }
      if (const HeaderField *h = find(head, "user-agent")) {
        t += ",\"userAgent\":\"";
        append_json(t, value(h));
        t += '"';
      }
      t += '}';
      return;
    }
    t += c.client;
    t += " - - [";
    t += clock_text();
    t += "] \"";
    append_clf(t, method);
    t += ' ';
    append_clf(t, target);
    t += ' ';
    t += version;
    t += '"';
    e.split = t.size();
    if (format_ == AccessLogFormat::Combined) {
      const HeaderField *referer = find(head, "referer"), *agent = find(head, "user-agent");
      t += " \"";
      if (referer) append_clf(t, value(referer));
      else t += '-';
      t += "\" \"";
      if (agent) append_clf(t, value(agent));
      else t += '-';
      t += '"';
    }
  } catch (const std::exception &) {
    // Out of memory: this request goes unlogged (finish() then writes a line without its fields).
  }
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

void AccessLog::finish(ConnectionLog &c, uint32_t seq, int status, uint64_t bytes) {
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
  for (ConnectionLog::Entry &e : c.pending) write_line(c, &e, 499, e.bytes);
  c.pending.clear();
}

void AccessLog::write_line(const ConnectionLog &c, const ConnectionLog::Entry *e, int status, uint64_t bytes) {
  if (buffer_.size() >= kMaxBuffer) {
    ++dropped_;
    return;
  }
  try {
    std::string &b = buffer_;
    const bool whole = e && !e->text.empty();
    if (format_ == AccessLogFormat::Json) {
      if (whole) {
        b.append(e->text, 0, e->split);
      } else {
        b += "{\"time\":\"";
        b += clock_text();
        b += "Z\",\"remote\":\"";
        append_json(b, c.client);
        b += '"';
      }
      b += ",\"status\":";
      append_number(b, static_cast<uint64_t>(status));
      b += ",\"bytes\":";
      append_number(b, bytes);
      if (whole) {
        // Milliseconds with microseconds, from routing to the answer being queued.
        const uint64_t us = (now_ns() - e->started_ns) / 1000;
        b += ",\"ms\":";
        append_number(b, us / 1000);
        b += '.';
        b += static_cast<char>('0' + us / 100 % 10);
        b += static_cast<char>('0' + us / 10 % 10);
        b += static_cast<char>('0' + us % 10);
        b.append(e->text, e->split, std::string::npos);
      } else {
        b += '}';
      }
    } else {
      if (whole) {
        b.append(e->text, 0, e->split);
      } else {
        b += c.client;
        b += " - - [";
        b += clock_text();
        b += "] \"-\"";
      }
      b += ' ';
      append_number(b, static_cast<uint64_t>(status));
      b += ' ';
      if (bytes == 0) b += '-';
      else append_number(b, bytes);
      if (whole) b.append(e->text, e->split, std::string::npos);
      else if (format_ == AccessLogFormat::Combined) b += " \"-\" \"-\"";
    }
    b += '\n';
    ++lines_;
  } catch (const std::exception &) {
    ++dropped_;
    return;
  }
  if (buffer_.size() >= kFlushAt) flush();
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
