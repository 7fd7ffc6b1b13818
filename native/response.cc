#include "response.h"

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

void ResponseQueue::reserve(uint32_t seq, bool omit_body, ConnectionHeader conn, bool close_after) {
  slots_.push_back(Slot{seq, false, omit_body, close_after, conn, {}});
}

ResponseQueue::Slot *ResponseQueue::find(uint32_t seq) {
  if (slots_.empty()) return nullptr;
  uint32_t index = seq - slots_.front().seq; // sequence numbers are consecutive
  if (index >= slots_.size()) return nullptr;
  Slot &s = slots_[index];
  return s.ready ? nullptr : &s;
}

ResponseQueue::Slot &ResponseQueue::push_ready(uint32_t seq, bool close_after) {
  slots_.push_back(Slot{seq, true, false, close_after, ConnectionHeader::None, {}});
  return slots_.back();
}

} // namespace uvhttp
