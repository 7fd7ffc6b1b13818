#include "http/response.h"

namespace uvhttp {

void render(std::string &out, std::string_view head, std::string_view body, bool omit_body,
            ConnectionHeader conn, const DateCache &date) {
  out.append(head);
  out.append("Date: ", 6);
  out.append(date.value(), DateCache::kLength);
  switch (conn) {
  case ConnectionHeader::None: out.append("\r\n\r\n", 4); break;
  case ConnectionHeader::KeepAlive: out.append("\r\nConnection: keep-alive\r\n\r\n", 28); break;
  case ConnectionHeader::Close: out.append("\r\nConnection: close\r\n\r\n", 23); break;
  }
  if (!omit_body) out.append(body);
}

} // namespace uvhttp
