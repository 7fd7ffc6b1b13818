// URL path to file path (see file_path.h).

#include "handlers/file_path.h"

#include <cstring>

namespace uvhttp {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A path with an escape: decoded byte by byte, since a decoded "%2F" splits segments.
PathResult map_encoded_path(std::string_view url_path, bool allow_dotfiles, std::string *out, bool *trailing_slash) {
  bool dotfile = false;
  // The segment being decoded is out[start, out.size()); out[start - 1] is its '/' when start > 0.
  size_t start = 0;
  bool in_segment = false;
  bool last_empty_or_dot = false;  // what the last segment was, for *trailing_slash

  // Checks the segment just decoded; drops it when it is "." (an empty one was never written).
  auto end_segment = [&]() -> bool {
    last_empty_or_dot = true;
    if (!in_segment) return true;
    in_segment = false;
    size_t len = out->size() - start;
    const char *s = out->data() + start;
    if (s[0] == '.') {
      if (len == 1) {
        out->resize(start == 0 ? 0 : start - 1);
        return true;
      }
      if (len == 2 && s[1] == '.') return false;
      if (!allow_dotfiles) dotfile = true;
    }
    last_empty_or_dot = false;
    return true;
  };

  out->clear();
  const size_t n = url_path.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(url_path[i]);
    if (c == '%') {
      int hi = i + 2 < n ? hex_value(url_path[i + 1]) : -1;
      int lo = hi >= 0 ? hex_value(url_path[i + 2]) : -1;
      if (lo < 0) {
        out->clear();
        return PathResult::BadRequest;
      }
      c = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    if (c < 0x20 || c == 0x7F || c == '\\') {
      out->clear();
      return PathResult::BadRequest;
    }
    if (c == '/') {
      if (!end_segment()) {
        out->clear();
        return PathResult::BadRequest;
      }
      continue;
    }
    if (!in_segment) {
      if (!out->empty()) out->push_back('/');
      start = out->size();
      in_segment = true;
    }
    out->push_back(static_cast<char>(c));
  }
  bool had_bytes = n > 0;
  if (!end_segment()) {
    out->clear();
    return PathResult::BadRequest;
  }
  if (dotfile) {
    out->clear();
    return PathResult::Dotfile;
  }
  *trailing_slash = had_bytes && last_empty_or_dot;
  return PathResult::Ok;
}

}  // namespace

// Nearly every path has no escape: its segments are checked and copied whole, a few instructions a
// byte instead of a decode step per byte.
PathResult map_url_path(std::string_view url_path, bool allow_dotfiles, std::string *out, bool *trailing_slash) {
  out->clear();
  if (out->capacity() < url_path.size()) out->reserve(url_path.size());
  const size_t n = url_path.size();
  if (n == 0) {
    *trailing_slash = false;
    return PathResult::Ok;
  }
  const char *p = url_path.data();
  if (std::memchr(p, '%', n) != nullptr) return map_encoded_path(url_path, allow_dotfiles, out, trailing_slash);
  const char *const end = p + n;
  bool dotfile = false;
  bool last_empty_or_dot = true;
  for (;;) {
    const void *found = std::memchr(p, '/', static_cast<size_t>(end - p));
    const char *slash = found ? static_cast<const char *>(found) : end;
    const size_t len = static_cast<size_t>(slash - p);
    if (len == 0 || (len == 1 && p[0] == '.')) {
      last_empty_or_dot = true;
    } else {
      for (const char *q = p; q < slash; ++q) {
        const auto c = static_cast<unsigned char>(*q);
        if (c < 0x20 || c == 0x7F || c == '\\') {
          out->clear();
          return PathResult::BadRequest;
        }
      }
      if (p[0] == '.') {
        if (len == 2 && p[1] == '.') {
          out->clear();
          return PathResult::BadRequest;
        }
        dotfile = dotfile || !allow_dotfiles;
      }
      if (!out->empty()) out->push_back('/');
      out->append(p, len);
      last_empty_or_dot = false;
    }
    if (slash == end) break;
    p = slash + 1;
  }
  if (dotfile) {
    out->clear();
    return PathResult::Dotfile;
  }
  *trailing_slash = last_empty_or_dot;
  return PathResult::Ok;
}

}  // namespace uvhttp
