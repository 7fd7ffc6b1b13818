// HTTP-date (RFC 9110 5.6.7): the IMF-fixdate this server sends, and the two obsolete forms a
// recipient must still accept. Used for Last-Modified, If-Modified-Since, If-Unmodified-Since and
// If-Range. The calendar arithmetic is done here rather than with timegm/gmtime, which Windows lacks
// and which depend on the process's time zone settings.
//
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"   two-digit year: 70-99 is 19xx, 00-69 is 20xx
//   asctime      "Sun Nov  6 08:49:37 1994"         day as " 6" or "06"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uvhttp {

constexpr size_t kHttpDateLength = 29;  // an IMF-fixdate

// The latest time format_http_date can write with a four-digit year: 9999-12-31 23:59:59.
constexpr int64_t kMaxHttpDate = 253402300799;

// Parses s as one of the three forms, with surrounding SP/HTAB allowed. Strict otherwise: names are
// case-sensitive as the grammar says (%s), field widths are exact, the zone is "GMT", every field is
// in range (day of month for that month and year, hour 0-23, minute 0-59, second 0-60). The day name
// must be a real one but is not checked against the date (RFC 9110 asks recipients to be robust).
// A leap second (:60) counts as the first second of the next minute. Years before 1970 give negative
// values. Returns false, leaving *seconds_since_epoch untouched, for anything else.
bool parse_http_date(std::string_view s, int64_t *seconds_since_epoch);

// Writes t as an IMF-fixdate, exactly kHttpDateLength bytes, no NUL. t is clamped to
// [0, kMaxHttpDate] so the result always has that length.
void format_http_date(int64_t t, char out[kHttpDateLength]);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31), and back.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

}  // namespace uvhttp
