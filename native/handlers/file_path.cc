// URL path to file path (see file_path.h).

#include "handlers/file_path.h"

namespace uvhttp {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

PathResult map_url_path(std::string_view url_path, bool allow_dotfiles, std::string *out, bool *trailing_slash) {
  out->clear();
  out->reserve(url_path.size());
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

}  // namespace uvhttp
