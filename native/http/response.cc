#include "http/response.h"

#include <cstring>

namespace uvhttp {

namespace {

// From this size on, zero-filling the body's bytes before copying them costs more than a second call.
constexpr size_t kAppendBody = 512;

template <size_t N> char *put(char *p, const char (&lit)[N]) {
  std::memcpy(p, lit, N - 1); // a constant size: the compiler copies it inline
  return p + N - 1;
}

} // namespace

void render(std::string &out, std::string_view head, std::string_view body, bool omit_body,
            ConnectionHeader conn, const DateCache &date) {
  static constexpr char kNone[] = "\r\n\r\n";
  static constexpr char kKeepAlive[] = "\r\nConnection: keep-alive\r\n\r\n";
  static constexpr char kClose[] = "\r\nConnection: close\r\n\r\n";
  size_t tail = sizeof(kNone) - 1;
  if (conn == ConnectionHeader::KeepAlive) tail = sizeof(kKeepAlive) - 1;
  if (conn == ConnectionHeader::Close) tail = sizeof(kClose) - 1;
  const size_t body_len = omit_body ? 0 : body.size();
  const size_t at = out.size();
  // One resize and plain copies: appending piece by piece cost more than the bytes it copied. A
  // larger body is appended after the resize instead, so its bytes are not zero-filled first.
  const size_t head_len = head.size() + 6 + DateCache::kLength + tail;
  const bool append_body = body_len >= kAppendBody;
  if (append_body) out.reserve(at + head_len + body_len);
  out.resize(at + head_len + (append_body ? 0 : body_len));
  char *p = &out[at];
  if (!head.empty()) std::memcpy(p, head.data(), head.size());
  p = put(p + head.size(), "Date: ");
  std::memcpy(p, date.value(), DateCache::kLength);
  p += DateCache::kLength;
  switch (conn) {
  case ConnectionHeader::None: p = put(p, kNone); break;
  case ConnectionHeader::KeepAlive: p = put(p, kKeepAlive); break;
  case ConnectionHeader::Close: p = put(p, kClose); break;
  }
  if (append_body) {
    out.append(body.data(), body_len);
  } else if (body_len) {
    std::memcpy(p, body.data(), body_len);
  }
}

int status_code(std::string_view head) {
  // "HTTP/1.1 200 ...": the version is not looked at, every head was made by the server or its JS side.
  if (head.size() < 12 || head[8] != ' ') return 0;
  int v = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    v = v * 10 + (head[i] - '0');
  }
  return v;
}

} // namespace uvhttp
