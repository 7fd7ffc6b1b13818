// Unit tests for parse_http_date and format_http_date (native/http/http_date.h): the three forms,
// every field out of range, stray bytes anywhere, and format -> parse round trips checked against
// the C library's gmtime_r over the whole four-digit-year range.

#include <ctime>

#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "guarded_page.h"
#include "http/http_date.h"

using uvhttp::parse_http_date;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

GuardedBuffer &guard() {
  static GuardedBuffer g(4096);
  return g;
}

// Parses from the end of a guarded page, so a read past the input faults.
bool parse(const std::string &s, int64_t *t) {
  const char *p = guard().place(s);
  return parse_http_date(std::string_view(p, s.size()), t);
}

void valid(const std::string &s, int64_t want) {
  int64_t t = -12345;
  bool ok = parse(s, &t);
  check(ok && t == want, "parse \"" + s + "\" = " + std::to_string(want) + " (got " + (ok ? std::to_string(t) : "false") + ")");
}

void invalid(const std::string &s) {
  int64_t t = -12345;
  bool ok = parse(s, &t);
  check(!ok && t == -12345, "rejects \"" + s + "\"");
}

std::string format(int64_t t) {
  char out[uvhttp::kHttpDateLength + 1];
  out[uvhttp::kHttpDateLength] = '#';
  uvhttp::format_http_date(t, out);
  check(out[uvhttp::kHttpDateLength] == '#', "format writes exactly 29 bytes");
  return std::string(out, uvhttp::kHttpDateLength);
}

// The reference: the C library's strftime-free formatting of gmtime_r.
std::string reference(int64_t t) {
  static const char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

constexpr int64_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example

void test_three_forms() {
  valid("Sun, 06 Nov 1994 08:49:37 GMT", k1994);
  valid("Sunday, 06-Nov-94 08:49:37 GMT", k1994);
  valid("Sun Nov  6 08:49:37 1994", k1994);
  valid("Sun Nov 06 08:49:37 1994", k1994);  // date3 allows 2DIGIT too
  valid("Thu, 01 Jan 1970 00:00:00 GMT", 0);
  valid("Thursday, 01-Jan-70 00:00:00 GMT", 0);
  valid("Thu Jan  1 00:00:00 1970", 0);
  valid("Fri, 31 Dec 9999 23:59:59 GMT", uvhttp::kMaxHttpDate);
  valid("Sat, 01 Jan 2000 00:00:00 GMT", 946684800);
  valid("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL);  // past 32-bit time_t
  valid("Wed, 31 Dec 1969 23:59:59 GMT", -1);            // before the epoch: negative
  valid("Mon, 01 Jan 1900 00:00:00 GMT", -2208988800LL);
  valid("Sat, 01 Jan 0000 00:00:00 GMT", -62167219200LL);
}

void test_surrounding_whitespace() {
  valid(" Sun, 06 Nov 1994 08:49:37 GMT", k1994);
  valid("Sun, 06 Nov 1994 08:49:37 GMT ", k1994);
  valid("\t \tSun, 06 Nov 1994 08:49:37 GMT\t ", k1994);
  valid("  Sunday, 06-Nov-94 08:49:37 GMT  ", k1994);
  valid("\tSun Nov  6 08:49:37 1994\t", k1994);
  invalid(" ");
  invalid("");
  invalid("\r\nSun, 06 Nov 1994 08:49:37 GMT");
  invalid("Sun, 06 Nov 1994 08:49:37 GMT\r\n");
  invalid("Sun, 06 Nov 1994 08:49:37 GMT\n");
  invalid("Sun, 06 Nov 1994 08:49:37 GMT\v");
  invalid(std::string("Sun, 06 Nov 1994 08:49:37 GMT\0", 30));
  invalid(std::string("\0Sun, 06 Nov 1994 08:49:37 GMT", 30));
}

void test_rfc850_years() {
  valid("Thursday, 01-Jan-70 00:00:00 GMT", 0);
  valid("Friday, 31-Dec-99 23:59:59 GMT", 946684799);
  valid("Saturday, 01-Jan-00 00:00:00 GMT", 946684800);
  valid("Tuesday, 29-Feb-00 00:00:00 GMT", 951782400);  // 2000 is a leap year
  valid("Tuesday, 31-Dec-69 00:00:00 GMT", 3155673600LL);  // 69 is 2069, not 1969
  valid("Monday, 01-Jan-24 00:00:00 GMT", 1704067200);
  invalid("Monday, 29-Feb-99 00:00:00 GMT");  // 1999 is not
  invalid("Sunday, 06-Nov-1994 08:49:37 GMT");
  invalid("Sunday, 06-Nov-4 08:49:37 GMT");
  invalid("Sunday, 6-Nov-94 08:49:37 GMT");
}

void test_day_names() {
  // Each name in each form, and a name not checked against the date (robustness).
  const char *short_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  const char *long_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  for (const char *d : short_names) {
    valid(std::string(d) + ", 06 Nov 1994 08:49:37 GMT", k1994);
    valid(std::string(d) + " Nov  6 08:49:37 1994", k1994);
  }
  for (const char *d : long_names) valid(std::string(d) + ", 06-Nov-94 08:49:37 GMT", k1994);
  invalid("sun, 06 Nov 1994 08:49:37 GMT");  // %s: case-sensitive
  invalid("SUN, 06 Nov 1994 08:49:37 GMT");
  invalid("Sum, 06 Nov 1994 08:49:37 GMT");
  invalid("Sunday, 06 Nov 1994 08:49:37 GMT");     // long name in IMF-fixdate
  invalid("Sun, 06-Nov-94 08:49:37 GMT");          // short name in rfc850
  invalid("sunday, 06-Nov-94 08:49:37 GMT");
  invalid("Sundays, 06-Nov-94 08:49:37 GMT");
  invalid("Funday, 06-Nov-94 08:49:37 GMT");
  invalid("Wednesda, 06-Nov-94 08:49:37 GMT");
  invalid("Sunday 06-Nov-94 08:49:37 GMT");
  invalid("Sun. 06 Nov 1994 08:49:37 GMT");
  invalid("Sun 06 Nov 1994 08:49:37 GMT ");
  invalid(", 06 Nov 1994 08:49:37 GMT");
  invalid("Sunday,06-Nov-94 08:49:37 GMT");
}

void test_months_and_days() {
  const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t day_start = 1704067200 - 365 * 86400;  // 2023-01-01, not a leap year
  for (int m = 0; m < 12; ++m) {
    for (int d = 1; d <= lengths[m]; ++d) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "Mon, %02d %s 2023 00:00:00 GMT", d, months[m]);
      valid(buf, day_start);
      std::snprintf(buf, sizeof(buf), "Mon %s %2d 00:00:00 2023", months[m], d);
      valid(buf, day_start);
      day_start += 86400;
    }
    char buf[64];
    std::snprintf(buf, sizeof(buf), "Mon, %02d %s 2023 00:00:00 GMT", lengths[m] + 1, months[m]);
    invalid(buf);
    std::snprintf(buf, sizeof(buf), "Monday, %02d-%s-23 00:00:00 GMT", lengths[m] + 1, months[m]);
    invalid(buf);
    std::snprintf(buf, sizeof(buf), "Mon %s %2d 00:00:00 2023", months[m], lengths[m] + 1);
    invalid(buf);
    std::snprintf(buf, sizeof(buf), "Mon, 00 %s 2023 00:00:00 GMT", months[m]);
    invalid(buf);
  }
  invalid("Mon, 06 nov 1994 08:49:37 GMT");
  invalid("Mon, 06 NOV 1994 08:49:37 GMT");
  invalid("Mon, 06 Nox 1994 08:49:37 GMT");
  invalid("Mon, 06 November 1994 08:49:37 GMT");
  invalid("Mon, 32 Jan 1994 08:49:37 GMT");
  invalid("Mon, 99 Jan 1994 08:49:37 GMT");
  invalid("Mon Nov  0 08:49:37 1994");
  invalid("Mon Nov 00 08:49:37 1994");
  invalid("Mon Nov 6  08:49:37 1994");
  invalid("Mon Nov   6 08:49:37 1994");
  invalid("Mon Nov 6 08:49:37 1994");
  invalid("Mon Nov 0x 08:49:37 1994");
}

void test_leap_days() {
  valid("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800);
  valid("Tue, 29 Feb 2000 12:00:00 GMT", 951825600);  // divisible by 400
  valid("Thu, 29 Feb 1996 00:00:00 GMT", 825552000);
  valid("Thu Feb 29 00:00:00 2024", 1709164800);
  invalid("Sun, 29 Feb 2023 00:00:00 GMT");
  invalid("Mon, 29 Feb 1900 00:00:00 GMT");  // divisible by 100, not 400
  invalid("Fri, 29 Feb 2100 00:00:00 GMT");
  invalid("Sun, 30 Feb 2024 00:00:00 GMT");
  invalid("Wed Feb 29 00:00:00 2023");
  invalid("Wednesday, 29-Feb-23 00:00:00 GMT");
  valid("Thursday, 29-Feb-24 00:00:00 GMT", 1709164800);
}

void test_time_fields() {
  valid("Sun, 06 Nov 1994 23:59:59 GMT", k1994 - (8 * 3600 + 49 * 60 + 37) + 86399);
  valid("Sun, 06 Nov 1994 00:00:00 GMT", k1994 - (8 * 3600 + 49 * 60 + 37));
  // A leap second is allowed by the grammar; it counts as the next minute's first second.
  valid("Sun, 06 Nov 1994 23:59:60 GMT", k1994 - (8 * 3600 + 49 * 60 + 37) + 86400);
  valid("Thu, 31 Dec 9999 23:59:60 GMT", uvhttp::kMaxHttpDate + 1);
  invalid("Sun, 06 Nov 1994 24:00:00 GMT");
  invalid("Sun, 06 Nov 1994 08:60:00 GMT");
  invalid("Sun, 06 Nov 1994 08:49:61 GMT");
  invalid("Sun, 06 Nov 1994 99:99:99 GMT");
  invalid("Sun, 06 Nov 1994 8:49:37 GMT ");
  invalid("Sun, 06 Nov 1994 08:49:3  GMT");
  invalid("Sun, 06 Nov 1994 08.49.37 GMT");
  invalid("Sun, 06 Nov 1994 08:49 GMT");
  invalid("Sun, 06 Nov 1994 08:49:37.5 GMT");
  invalid("Sun, 06 Nov 1994 -8:49:37 GMT");
  invalid("Sun, 06 Nov 1994 +8:49:37 GMT");
  invalid("Sunday, 06-Nov-94 24:49:37 GMT");
  invalid("Sun Nov  6 24:49:37 1994");
  invalid("Sun Nov  6 08:49:37 94");
  invalid("Sun Nov  6 08:49:37 19940");
  invalid("Sun Nov  6 08:49:37 +994");
}

void test_zone_and_garbage() {
  invalid("Sun, 06 Nov 1994 08:49:37");
  invalid("Sun, 06 Nov 1994 08:49:37 gmt");
  invalid("Sun, 06 Nov 1994 08:49:37 UTC");
  invalid("Sun, 06 Nov 1994 08:49:37 GMT+1");
  invalid("Sun, 06 Nov 1994 08:49:37 +0000");
  invalid("Sun, 06 Nov 1994 08:49:37  GMT");
  invalid("Sun, 06 Nov 1994 08:49:37 GMTX");
  invalid("Sun, 06 Nov 1994 08:49:37 GM");
  invalid("Sunday, 06-Nov-94 08:49:37");
  invalid("Sunday, 06-Nov-94 08:49:37 UTC");
  invalid("Sunday, 06-Nov-94 08:49:37 GMT GMT");
  invalid("Sun Nov  6 08:49:37 1994 GMT");
  invalid("Sun Nov  6 08:49:37 1994x");
  invalid("xSun, 06 Nov 1994 08:49:37 GMT");
  invalid("Sun,  06 Nov 1994 08:49:37 GMT");
  invalid("Sun, 06  Nov 1994 08:49:37 GMT");
  invalid("Sun, 06 Nov  1994 08:49:37 GMT");
  invalid("Sun, 6 Nov 1994 08:49:37 GMT");
  invalid("Sun, 06 Nov 94 08:49:37 GMT");
  invalid("Sun, 06 Nov 01994 08:49:37 GMT");
  invalid("Sun,\t06 Nov 1994 08:49:37 GMT");
  invalid("Sun, 06-Nov-1994 08:49:37 GMT");
  invalid("Sun, 06 Nov 199x 08:49:37 GMT");
  invalid("Sun, 0\x80 Nov 1994 08:49:37 GMT");
  invalid("1994-11-06T08:49:37Z");
  invalid("784111777");
  invalid("0");
  invalid("Sun");
  invalid("Sunday,");
  invalid("Wednesday, ");
  invalid("Wednesday, 06-Nov-94 08:49:37 GM");
  invalid(std::string(29, ' ') + "x");
  invalid(std::string(4000, 'A'));
  invalid(std::string(29, 'x'));
  invalid(std::string(24, 'x'));
  invalid(std::string(30, 'x'));
}

// Every prefix and every single-byte change of valid dates is either rejected or (for a digit changed
// to another valid digit) parses; none reads past its end. Truncations are always rejected.
void test_truncations() {
  const std::string forms[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                               "Wednesday, 09-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"};
  for (const std::string &f : forms) {
    for (size_t n = 0; n < f.size(); ++n) {
      int64_t t;
      // A prefix of IMF-fixdate ending in the year is never another form's length and shape.
      check(!parse(f.substr(0, n), &t), "prefix " + std::to_string(n) + " of \"" + f + "\" rejected");
      check(!parse(f.substr(n + 1), &t) || n == 0, "suffix after " + std::to_string(n) + " of \"" + f + "\" rejected");
    }
    for (size_t i = 0; i < f.size(); ++i) {
      std::string g = f;
      g[i] = 'X';
      int64_t t;
      check(!parse(g, &t), "byte " + std::to_string(i) + " of \"" + f + "\" changed to X rejected");
    }
  }
}

void test_format() {
  check(format(k1994) == "Sun, 06 Nov 1994 08:49:37 GMT", "format RFC example");
  check(format(0) == "Thu, 01 Jan 1970 00:00:00 GMT", "format epoch");
  check(format(-1) == "Thu, 01 Jan 1970 00:00:00 GMT", "format clamps negatives to the epoch");
  check(format(INT64_MIN) == "Thu, 01 Jan 1970 00:00:00 GMT", "format INT64_MIN");
  check(format(uvhttp::kMaxHttpDate) == "Fri, 31 Dec 9999 23:59:59 GMT", "format the last four-digit year");
  check(format(uvhttp::kMaxHttpDate + 1) == "Fri, 31 Dec 9999 23:59:59 GMT", "format clamps past 9999");
  check(format(INT64_MAX) == "Fri, 31 Dec 9999 23:59:59 GMT", "format INT64_MAX");
  check(format(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT", "format a leap day");
  check(format(4107542400LL) == "Mon, 01 Mar 2100 00:00:00 GMT", "format 2100 (no leap day)");
}

uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
uint64_t next_random() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

// IMF-fixdate -> rfc850 and asctime of the same instant, built from the formatted fields.
std::string as_rfc850(const std::string &imf) {
  static const char *long_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  static const char *short_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  std::string day;
  for (int i = 0; i < 7; ++i)
    if (imf.compare(0, 3, short_names[i]) == 0) day = long_names[i];
  return day + ", " + imf.substr(5, 2) + "-" + imf.substr(8, 3) + "-" + imf.substr(14, 2) + " " + imf.substr(17, 8) + " GMT";
}

std::string as_asctime(const std::string &imf) {
  std::string day = imf.substr(5, 2);
  if (day[0] == '0') day[0] = ' ';
  return imf.substr(0, 3) + " " + imf.substr(8, 3) + " " + day + " " + imf.substr(17, 8) + " " + imf.substr(12, 4);
}

void round_trip(int64_t t) {
  std::string s = format(t);
  int64_t back = -1;
  bool ok = check(s == reference(t), "format(" + std::to_string(t) + ") = " + s + ", gmtime says " + reference(t)) &&
            check(parse(s, &back) && back == t, "round trip " + s);
  if (!ok) return;
  check(parse(as_asctime(s), &back) && back == t, "asctime round trip " + as_asctime(s));
  int64_t year = std::stoll(s.substr(12, 4));
  if (year >= 1970 && year <= 2069) check(parse(as_rfc850(s), &back) && back == t, "rfc850 round trip " + as_rfc850(s));
}

void test_round_trips() {
  for (int64_t t = 0; t < 3 * 86400; t += 3599) round_trip(t);
  for (int64_t y = 1970; y <= 9999; y += 1) {
    // Each year's first and last second, and the days around the end of February.
    int64_t start = uvhttp::days_from_civil(y, 1, 1) * 86400;
    round_trip(start);
    round_trip(start + 365 * 86400 - 1);
    round_trip(uvhttp::days_from_civil(y, 2, 28) * 86400 + 43210);
    round_trip(uvhttp::days_from_civil(y, 3, 1) * 86400 - 1);
  }
  for (int i = 0; i < 20000; ++i) round_trip(static_cast<int64_t>(next_random() % (uvhttp::kMaxHttpDate + 1)));
  round_trip(uvhttp::kMaxHttpDate);
}

// days_from_civil and civil_from_days against counting days one at a time, across negative years too.
void test_calendar() {
  int64_t days = uvhttp::days_from_civil(-1000, 1, 1);
  bool ok = true;
  for (int64_t y = -1000; y <= 3000 && ok; ++y) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const unsigned lengths[] = {31, leap ? 29u : 28u, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (unsigned m = 1; m <= 12 && ok; ++m) {
      for (unsigned d = 1; d <= lengths[m - 1] && ok; ++d) {
        int64_t yy;
        unsigned mm, dd;
        uvhttp::civil_from_days(days, &yy, &mm, &dd);
        ok = uvhttp::days_from_civil(y, m, d) == days && yy == y && mm == m && dd == d;
        if (!ok) check(false, "calendar at " + std::to_string(y) + "-" + std::to_string(m) + "-" + std::to_string(d));
        ++days;
      }
    }
  }
  check(ok, "days_from_civil and civil_from_days agree with counting from -1000 to 3000");
  check(uvhttp::days_from_civil(1970, 1, 1) == 0, "epoch is day 0");
  check(uvhttp::days_from_civil(1969, 12, 31) == -1, "the day before is -1");
}

}  // namespace

int main() {
  test_three_forms();
  test_surrounding_whitespace();
  test_rfc850_years();
  test_day_names();
  test_months_and_days();
  test_leap_days();
  test_time_fields();
  test_zone_and_garbage();
  test_truncations();
  test_format();
  test_round_trips();
  test_calendar();
  return check::summary("http_date");
}
