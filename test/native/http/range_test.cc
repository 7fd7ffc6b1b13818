// Unit tests for parse_range (native/http/range.h): the grammar, clipping and dropping at the edges of
// the representation (sizes 0, 1 and 2^64-1), the limits that make a Range ignored, and every short
// input over a small alphabet checked against a separate, simpler reading of RFC 9110 14.1.1. Each
// input ends right before a guarded page, so a read past it faults.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "guarded_page.h"
#include "http/range.h"

using uvhttp::ByteRange;
using uvhttp::kMaxRanges;
using uvhttp::parse_range;
using uvhttp::RangeResult;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

GuardedBuffer &guard() {
  static GuardedBuffer g(1 << 16);
  return g;
}

struct Got {
  RangeResult result;
  std::vector<ByteRange> ranges;
};

// out has one spare slot past max_ranges, poisoned, to catch a write past the limit.
Got parse(const std::string &value, uint64_t size, size_t max_ranges = kMaxRanges) {
  std::vector<ByteRange> out(max_ranges + 1, ByteRange{0xdead, 0xbeef});
  size_t count = 12345;
  const char *p = guard().place(value);
  RangeResult r = parse_range(std::string_view(p, value.size()), size, out.data(), max_ranges, &count);
  check(out[max_ranges].first == 0xdead && out[max_ranges].last == 0xbeef, "no write past max_ranges: " + value);
  check(r == RangeResult::Satisfiable ? count > 0 && count <= max_ranges : count == 0, "count fits result: " + value);
  if (r != RangeResult::Satisfiable) count = 0;
  out.resize(count);
  return {r, out};
}

const char *name(RangeResult r) {
  switch (r) {
    case RangeResult::Ignore: return "Ignore";
    case RangeResult::Satisfiable: return "Satisfiable";
    case RangeResult::Unsatisfiable: return "Unsatisfiable";
  }
  return "?";
}

std::string show(const Got &g) {
  std::string s = name(g.result);
  for (const ByteRange &r : g.ranges) s += " " + std::to_string(r.first) + "-" + std::to_string(r.last);
  return s;
}

std::string show(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c >= 0x20 && c < 0x7f) out += c;
    else {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", static_cast<unsigned char>(c));
      out += b;
    }
  }
  return out;
}

void expect(const std::string &value, uint64_t size, RangeResult want, std::vector<ByteRange> ranges = {},
            size_t max_ranges = kMaxRanges) {
  Got g = parse(value, size, max_ranges);
  bool ok = g.result == want && g.ranges.size() == ranges.size();
  for (size_t i = 0; ok && i < ranges.size(); ++i) ok = g.ranges[i].first == ranges[i].first && g.ranges[i].last == ranges[i].last;
  Got w{want, ranges};
  check(ok, "\"" + show(value) + "\" size " + std::to_string(size) + ": want " + show(w) + ", got " + show(g));
}

void ignored(const std::string &value, uint64_t size = 100) { expect(value, size, RangeResult::Ignore); }
void unsatisfiable(const std::string &value, uint64_t size) { expect(value, size, RangeResult::Unsatisfiable); }
void ranges(const std::string &value, uint64_t size, std::vector<ByteRange> r) { expect(value, size, RangeResult::Satisfiable, r); }

void test_single_ranges() {
  ranges("bytes=0-499", 1000, {{0, 499}});
  ranges("bytes=500-999", 1000, {{500, 999}});
  ranges("bytes=500-", 1000, {{500, 999}});
  ranges("bytes=-500", 1000, {{500, 999}});
  ranges("bytes=0-", 1000, {{0, 999}});
  ranges("bytes=0-0", 1000, {{0, 0}});
  ranges("bytes=999-999", 1000, {{999, 999}});
  ranges("bytes=-1", 1000, {{999, 999}});
  ranges("bytes=0-999", 1000, {{0, 999}});
  ranges("bytes=0-1000", 1000, {{0, 999}});          // last past the end: clipped
  ranges("bytes=10-18446744073709551615", 1000, {{10, 999}});
  ranges("bytes=-1000", 1000, {{0, 999}});           // suffix of exactly the size: whole
  ranges("bytes=-1001", 1000, {{0, 999}});           // longer: whole
  ranges("bytes=-18446744073709551615", 1000, {{0, 999}});
  ranges("bytes=000-0009", 1000, {{0, 9}});          // leading zeros are digits like any other
  ranges("bytes=-0001", 1000, {{999, 999}});
}

void test_unit_and_equals() {
  ranges("BYTES=0-1", 10, {{0, 1}});
  ranges("Bytes=0-1", 10, {{0, 1}});
  ranges("bYtEs=0-1", 10, {{0, 1}});
  ranges(" bytes=0-1", 10, {{0, 1}});
  ranges("\tbytes=0-1", 10, {{0, 1}});
  ignored("bytes 0-1");
  ignored("bytes:0-1");
  ignored("bytes =0-1");
  ignored("bytes= =0-1");
  ignored("bytes==0-1");
  ignored("byte=0-1");
  ignored("bytess=0-1");
  ignored("xbytes=0-1");
  ignored("items=0-1");
  ignored("none=0-1");
  ignored("=0-1");
  ignored("0-1");
  ignored("bytes");
  ignored("bytes=");
  ignored("");
  ignored(" ");
  ignored("b\xe9tes=0-1");
  ignored(std::string("bytes\0=0-1", 11));
  ignored(std::string("bytes=0-1\0", 10));
  ignored("bYtes=0-1;q=1");
  ignored("bytes\x7f=0-1");
}

void test_list_syntax() {
  ranges("bytes=0-0,-1", 10, {{0, 0}, {9, 9}});
  ranges("bytes=0-0, -1", 10, {{0, 0}, {9, 9}});
  ranges("bytes=0-0 ,-1", 10, {{0, 0}, {9, 9}});
  ranges("bytes=0-0 \t, \t-1", 10, {{0, 0}, {9, 9}});
  ranges("bytes= 0-0", 10, {{0, 0}});
  ranges("bytes=0-0 ", 10, {{0, 0}});
  ranges("bytes=0-0\t", 10, {{0, 0}});
  ranges("bytes=,0-0", 10, {{0, 0}});
  ranges("bytes=0-0,", 10, {{0, 0}});
  ranges("bytes=, ,0-0, ,", 10, {{0, 0}});
  ranges("bytes=,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,0-0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", 10, {{0, 0}});
  ranges("bytes=5-6,0-1", 10, {{5, 6}, {0, 1}});  // the order asked, not sorted
  ignored("bytes=,");
  ignored("bytes= , , ");
  ignored("bytes=0 -1");
  ignored("bytes=0- 1");
  ignored("bytes=- 1");
  ignored("bytes=0-1-2");
  ignored("bytes=0--1");
  ignored("bytes=--1");
  ignored("bytes=-");
  ignored("bytes=1");
  ignored("bytes=a-b");
  ignored("bytes=0x1-2");
  ignored("bytes=+1-2");
  ignored("bytes=1-+2");
  ignored("bytes=-+1");
  ignored("bytes=1.0-2");
  ignored("bytes=0-1;0-2");
  ignored("bytes=0-1 0-2");
  ignored("bytes=0-1,x");
  ignored("bytes=x,0-1");
  ignored("bytes=0-1\r\n");
  ignored("bytes=0-1\n");
  ignored("bytes=0-1\v");
  ignored("bytes=0-1\x85");
  ignored("bytes=\xef\xbc\x90-1");  // fullwidth digit zero
  ignored("bytes=٠-1");
  ignored("bytes=0-1,2");
  ignored(std::string("bytes=0-1,\0", 11));
}

void test_invalid_and_dropped() {
  ignored("bytes=1-0", 10);  // last < first: invalid, the whole header is ignored
  ignored("bytes=5-4", 10);
  ignored("bytes=0-1,5-4", 10);
  ignored("bytes=20-10", 10);  // invalid even though it would also be out of range
  ignored("bytes=0-0,1-0", 1);
  ranges("bytes=9-9", 10, {{9, 9}});
  unsatisfiable("bytes=10-", 10);
  unsatisfiable("bytes=10-10", 10);
  unsatisfiable("bytes=10-20", 10);
  unsatisfiable("bytes=18446744073709551615-", 10);
  unsatisfiable("bytes=-0", 10);
  unsatisfiable("bytes=-00000", 10);
  unsatisfiable("bytes=-0,-0,10-", 10);
  unsatisfiable("bytes=10-,11-,12-12", 10);
  ranges("bytes=10-,0-1,-0", 10, {{0, 1}});  // dropped ones do not hide the satisfiable one
  ranges("bytes=-0,9-", 10, {{9, 9}});
}

void test_small_sizes() {
  // Size 0: nothing is satisfiable, whatever the form.
  unsatisfiable("bytes=0-", 0);
  unsatisfiable("bytes=0-0", 0);
  unsatisfiable("bytes=0-100", 0);
  unsatisfiable("bytes=-1", 0);
  unsatisfiable("bytes=-100", 0);
  unsatisfiable("bytes=-0", 0);
  unsatisfiable("bytes=0-0,-1,5-", 0);
  ignored("bytes=1-0", 0);
  ignored("bytes=", 0);
  // Size 1.
  ranges("bytes=0-", 1, {{0, 0}});
  ranges("bytes=0-0", 1, {{0, 0}});
  ranges("bytes=0-5", 1, {{0, 0}});
  ranges("bytes=-1", 1, {{0, 0}});
  ranges("bytes=-5", 1, {{0, 0}});
  unsatisfiable("bytes=1-", 1);
  unsatisfiable("bytes=-0", 1);
  ignored("bytes=0-0,-1", 1);  // two bytes asked of one: overlap abuse
  ignored("bytes=0-0,0-0", 1);
  ranges("bytes=0-0,1-", 1, {{0, 0}});
  // Size 2: first and last byte.
  ranges("bytes=0-0,-1", 2, {{0, 0}, {1, 1}});
  ignored("bytes=0-0,-1,0-0", 2);
}

void test_limits() {
  // Exactly max_ranges is served; one more is ignored, even when the extra one is unsatisfiable.
  std::string sixteen = "bytes=";
  std::vector<ByteRange> want;
  for (int i = 0; i < 16; ++i) {
    sixteen += (i ? "," : "") + std::to_string(i) + "-" + std::to_string(i);
    want.push_back({static_cast<uint64_t>(i), static_cast<uint64_t>(i)});
  }
  ranges(sixteen, 100, want);
  ignored(sixteen + ",16-16", 100);
  ignored(sixteen + ",1000-", 100);
  ignored(sixteen + ",-0", 100);
  ranges(sixteen + ",,, ,", 100, want);  // empty elements are not ranges
  ignored(sixteen + ",16-16,garbage", 100);
  // Other limits.
  expect("bytes=0-0,1-1,2-2", 100, RangeResult::Ignore, {}, 2);
  expect("bytes=0-0,1-1", 100, RangeResult::Satisfiable, {{0, 0}, {1, 1}}, 2);
  expect("bytes=0-0", 100, RangeResult::Ignore, {}, 0);
  expect("bytes=0-0", 100, RangeResult::Satisfiable, {{0, 0}}, 1);
  expect("bytes=5-,-3", 100, RangeResult::Ignore, {}, 1);
  // A huge list is refused at the 17th element without reading it all into anything.
  std::string many = "bytes=";
  for (int i = 0; i < 5000; ++i) many += "0-0,";
  ignored(many, 100000);
}

void test_overlap_abuse() {
  ranges("bytes=0-49,50-99", 100, {{0, 49}, {50, 99}});   // exactly the size
  ranges("bytes=0-99", 100, {{0, 99}});
  ranges("bytes=0-49,0-49", 100, {{0, 49}, {0, 49}});     // overlapping, but only 100 bytes
  ignored("bytes=0-49,0-50", 100);
  ignored("bytes=0-,0-", 100);
  ignored("bytes=0-,-1", 100);
  ignored("bytes=-100,-1", 100);
  ignored("bytes=0-99,0-0", 100);
  ignored("bytes=0-0,1-1,2-2,3-3,0-", 100);
  // Lengths whose sum overflows 64 bits are still counted right.
  const uint64_t big = UINT64_MAX;
  ranges("bytes=0-", big, {{0, big - 1}});
  ranges("bytes=-1", big, {{big - 1, big - 1}});
  ranges("bytes=18446744073709551614-", big, {{big - 1, big - 1}});
  unsatisfiable("bytes=18446744073709551615-", big);
  ignored("bytes=0-,0-", big);
  ignored("bytes=0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-", big);
  ignored("bytes=1-,1-", big);
  ranges("bytes=0-9223372036854775806,9223372036854775807-", big,
         {{0, 9223372036854775806ULL}, {9223372036854775807ULL, big - 1}});
}


void test_numbers() {
  // The largest 64-bit value parses; one more, or more digits, is a syntax error (Ignore).
  unsatisfiable("bytes=18446744073709551615-18446744073709551615", 100);
  ignored("bytes=18446744073709551616-", 100);
  ignored("bytes=0-18446744073709551616", 100);
  ignored("bytes=-18446744073709551616", 100);
  ignored("bytes=99999999999999999999-", 100);
  ignored("bytes=0-" + std::string(400, '9'), 100);
  ignored("bytes=-" + std::string(400, '9'), 100);
  ranges("bytes=" + std::string(400, '0') + "-" + std::string(400, '0') + "1", 100, {{0, 1}});
  ranges("bytes=18446744073709551614-18446744073709551615", UINT64_MAX, {{UINT64_MAX - 1, UINT64_MAX - 1}});
}

// A second reading of the grammar, written differently: split on commas first, strip OWS, match each
// element against the three shapes with plain loops, then apply the rules. For the exhaustive check.
Got reference(const std::string &value, uint64_t size, size_t max_ranges) {
  Got ignore{RangeResult::Ignore, {}};
  std::string v = value;
  while (!v.empty() && (v[0] == ' ' || v[0] == '\t')) v.erase(0, 1);
  if (v.size() < 6) return ignore;
  for (int i = 0; i < 5; ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != "bytes"[i]) return ignore;
  if (v[5] != '=') return ignore;
  std::vector<std::string> elements(1);
  for (size_t i = 6; i < v.size(); ++i) {
    if (v[i] == ',') elements.emplace_back();
    else elements.back() += v[i];
  }
  std::vector<ByteRange> kept;
  size_t specs = 0;
  unsigned long long total = 0;
  bool overlap = false;
  for (std::string e : elements) {
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.erase(0, 1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.pop_back();
    if (e.empty()) continue;
    ++specs;
    size_t dash = e.find('-');
    if (dash == std::string::npos || e.find('-', dash + 1) != std::string::npos) return ignore;
    std::string a = e.substr(0, dash), b = e.substr(dash + 1);
    for (char c : a + b)
      if (c < '0' || c > '9') return ignore;
    if (a.empty() && b.empty()) return ignore;
    if (a.size() > 5 || b.size() > 5) return ignore;  // the exhaustive inputs stay short
    if (a.empty()) {
      uint64_t n = std::stoull(b);
      if (n == 0 || size == 0) continue;
      kept.push_back({n >= size ? 0 : size - n, size - 1});
    } else {
      uint64_t f = std::stoull(a);
      if (!b.empty() && std::stoull(b) < f) return ignore;
      if (f >= size) continue;
      uint64_t l = b.empty() ? size - 1 : std::min<uint64_t>(std::stoull(b), size - 1);
      kept.push_back({f, l});
    }
    total += kept.back().last - kept.back().first + 1;
    if (total > size) overlap = true;
  }
  if (specs == 0 || specs > max_ranges || overlap) return ignore;
  if (kept.empty()) return {RangeResult::Unsatisfiable, {}};
  return {RangeResult::Satisfiable, kept};
}

// Every string up to length 6 over an alphabet that hits every branch, after "bytes=", for sizes
// 0 to 3 and a small range limit so the count limit is reached too.
void test_exhaustive() {
  const char alphabet[] = {'0', '1', '3', '-', ',', ' ', 'x'};
  const size_t k = sizeof(alphabet);
  size_t compared = 0, mismatches = 0;
  std::string tail;
  for (size_t len = 0; len <= 6; ++len) {
    size_t total = 1;
    for (size_t i = 0; i < len; ++i) total *= k;
    for (size_t n = 0; n < total; ++n) {
      tail.clear();
      for (size_t i = 0, m = n; i < len; ++i, m /= k) tail += alphabet[m % k];
      std::string value = "bytes=" + tail;
      for (uint64_t size = 0; size <= 3; ++size) {
        for (size_t max_ranges : {size_t(2), kMaxRanges}) {
          Got g = parse(value, size, max_ranges);
          Got w = reference(value, size, max_ranges);
          bool same = g.result == w.result && g.ranges.size() == w.ranges.size();
          for (size_t i = 0; same && i < w.ranges.size(); ++i)
            same = g.ranges[i].first == w.ranges[i].first && g.ranges[i].last == w.ranges[i].last;
          ++compared;
          if (!same && ++mismatches <= 20)
            check(false, "\"" + value + "\" size " + std::to_string(size) + " max " + std::to_string(max_ranges) +
                             ": reference " + show(w) + ", parse_range " + show(g));
        }
      }
    }
  }
  check(mismatches == 0, std::to_string(mismatches) + " of " + std::to_string(compared) + " inputs differ from the reference");
}

// Satisfiable results always lie inside the representation, whatever the input.
void test_results_in_bounds() {
  const char *values[] = {"bytes=0-", "bytes=-1", "bytes=5-10", "bytes=-7,3-", "bytes=2-2,4-9,-3", "bytes=0-0,-1"};
  for (const char *v : values) {
    for (uint64_t size = 0; size < 40; ++size) {
      Got g = parse(v, size);
      uint64_t sum = 0;
      for (const ByteRange &r : g.ranges) {
        check(r.first <= r.last && r.last < size, std::string(v) + " in bounds for size " + std::to_string(size));
        sum += r.last - r.first + 1;
      }
      check(sum <= size, std::string(v) + " selects at most size bytes");
    }
  }
}

}  // namespace

int main() {
  test_single_ranges();
  test_unit_and_equals();
  test_list_syntax();
  test_invalid_and_dropped();
  test_small_sizes();
  test_limits();
  test_overlap_abuse();
  test_numbers();
  test_exhaustive();
  test_results_in_bounds();
  return check::summary("range");
}
