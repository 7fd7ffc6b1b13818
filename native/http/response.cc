#include "http/response.h"

#include <cstring>

namespace uvhttp {

namespace {

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
  // One resize and plain copies: appending piece by piece cost more than the bytes it copied.
  out.resize(at + head.size() + 6 + DateCache::kLength + tail + body_len);
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
  if (body_len) std::memcpy(p, body.data(), body_len);
}

} // namespace uvhttp
