// The Date header value, formatted once a second rather than per response.
#pragma once

#include <ctime>

namespace uvhttp {

class DateCache {
public:
  static constexpr size_t kLength = 29; // "Sun, 06 Nov 1994 08:49:37 GMT"

  DateCache() { update(std::time(nullptr)); }
  void update(std::time_t now);
  const char *value() const { return buf_; }

private:
  char buf_[64]; // kLength used; room so the formatter can never truncate
  std::time_t formatted_ = -1;
};

} // namespace uvhttp
