#include "http/date_cache.h"

#include <cstdio>

namespace uvhttp {

// Formatted by hand: strftime depends on the locale, and IMF-fixdate must be English.
void DateCache::update(std::time_t now) {
  if (now == formatted_) return;
  static const char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm;
#ifdef _WIN32
  // MSVC has no gmtime_r; its gmtime_s is the thread-safe one, with the arguments the other way round.
  gmtime_s(&tm, &now);
#else
  gmtime_r(&now, &tm);
#endif
  std::snprintf(buf_, sizeof(buf_), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  formatted_ = now;
}

} // namespace uvhttp
