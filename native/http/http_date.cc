// HTTP-date parsing and formatting (see http_date.h).

#include "http/http_date.h"

#include <cstring>

namespace uvhttp {
namespace {

constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDays[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Fields {
  int64_t year;
  unsigned month;  // 1-12
  unsigned day;
  unsigned hour;
  unsigned minute;
  unsigned second;
};

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// n digits at p (the caller has checked the length); false on a non-digit.
bool digits(const char *p, size_t n, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!is_digit(p[i])) return false;
    v = v * 10 + static_cast<unsigned>(p[i] - '0');
  }
  *out = v;
  return true;
}

bool short_day(const char *p) {
  for (const auto &d : kDays)
    if (std::memcmp(p, d, 3) == 0) return true;
  return false;
}

bool month(const char *p, unsigned *out) {
  for (unsigned i = 0; i < 12; ++i) {
    if (std::memcmp(p, kMonths[i], 3) == 0) {
      *out = i + 1;
      return true;
    }
  }
  return false;
}

// "HH:MM:SS" at p (8 bytes).
bool time_of_day(const char *p, Fields *f) {
  return digits(p, 2, &f->hour) && p[2] == ':' && digits(p + 3, 2, &f->minute) && p[5] == ':' &&
         digits(p + 6, 2, &f->second);
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kLength[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kLength[m - 1];
}

bool to_seconds(const Fields &f, int64_t *out) {
  if (f.day < 1 || f.day > days_in_month(f.year, f.month)) return false;
  if (f.hour > 23 || f.minute > 59 || f.second > 60) return false;
  *out = days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  return true;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool imf_fixdate(std::string_view s, Fields *f) {
  const char *p = s.data();
  unsigned year;
  if (s.size() != 29 || !short_day(p) || std::memcmp(p + 3, ", ", 2) != 0) return false;
  if (!digits(p + 5, 2, &f->day) || p[7] != ' ' || !month(p + 8, &f->month) || p[11] != ' ') return false;
  if (!digits(p + 12, 4, &year) || p[16] != ' ' || !time_of_day(p + 17, f)) return false;
  f->year = year;
  return std::memcmp(p + 25, " GMT", 4) == 0;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
bool rfc850_date(std::string_view s, Fields *f) {
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  bool named = false;
  for (std::string_view d : kLongDays) named = named || s.substr(0, comma) == d;
  if (!named || s.size() - comma != 24) return false;
  const char *p = s.data() + comma;
  unsigned year;
  if (p[1] != ' ' || !digits(p + 2, 2, &f->day) || p[4] != '-' || !month(p + 5, &f->month) || p[8] != '-')
    return false;
  if (!digits(p + 9, 2, &year) || p[11] != ' ' || !time_of_day(p + 12, f)) return false;
  f->year = year >= 70 ? 1900 + year : 2000 + year;
  return std::memcmp(p + 20, " GMT", 4) == 0;
}

// "Sun Nov  6 08:49:37 1994"
bool asctime_date(std::string_view s, Fields *f) {
  const char *p = s.data();
  unsigned year;
  if (s.size() != 24 || !short_day(p) || p[3] != ' ' || !month(p + 4, &f->month) || p[7] != ' ') return false;
  if (p[8] == ' ') {
    if (!digits(p + 9, 1, &f->day)) return false;
  } else if (!digits(p + 8, 2, &f->day)) {
    return false;
  }
  if (p[10] != ' ' || !time_of_day(p + 11, f) || p[19] != ' ' || !digits(p + 20, 4, &year)) return false;
  f->year = year;
  return true;
}

void two(char *p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

// Howard Hinnant's days_from_civil: eras of 400 years, each with the same 146097 days, and years
// counted from March so the leap day is the last day of the year.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  if (m <= 2) --y;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;       // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                 // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);                // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11], from March
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

bool parse_http_date(std::string_view s, int64_t *seconds_since_epoch) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  Fields f{};
  bool ok = false;
  if (s.size() == 29) {
    ok = imf_fixdate(s, &f);
  } else if (s.size() == 24) {
    ok = asctime_date(s, &f);
  } else if (s.size() >= 30 && s.size() <= 33) {  // "Monday," through "Wednesday,"
    ok = rfc850_date(s, &f);
  }
  return ok && to_seconds(f, seconds_since_epoch);
}

// Formatted by hand: strftime depends on the locale, and IMF-fixdate must be English.
void format_http_date(int64_t t, char out[kHttpDateLength]) {
  if (t < 0) t = 0;
  if (t > kMaxHttpDate) t = kMaxHttpDate;
  const int64_t days = t / 86400;
  const unsigned secs = static_cast<unsigned>(t % 86400);
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  std::memcpy(out, kDays[(days + 4) % 7], 3);  // 1970-01-01 was a Thursday
  std::memcpy(out + 3, ", ", 2);
  two(out + 5, day);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[month - 1], 3);
  out[11] = ' ';
  two(out + 12, static_cast<unsigned>(year / 100));
  two(out + 14, static_cast<unsigned>(year % 100));
  out[16] = ' ';
  two(out + 17, secs / 3600);
  out[19] = ':';
  two(out + 20, secs / 60 % 60);
  out[22] = ':';
  two(out + 23, secs % 60);
  std::memcpy(out + 25, " GMT", 4);
}

}  // namespace uvhttp
