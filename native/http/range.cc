// Range header parsing (see range.h).

#include "http/range.h"

#include "http/field_name.h"

namespace uvhttp {
namespace {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// 1*DIGIT at s[*i]; false when there is no digit or the value does not fit in 64 bits.
bool number(std::string_view s, size_t *i, uint64_t *out) {
  size_t start = *i;
  uint64_t v = 0;
  while (*i < s.size() && is_digit(s[*i])) {
    uint64_t d = static_cast<uint64_t>(s[*i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
    ++*i;
  }
  *out = v;
  return *i > start;
}

enum class Spec : uint8_t { Invalid, Dropped, Kept };

// One range-spec, the whole of element: int-range "a-" / "a-b" or suffix-range "-n".
Spec range_spec(std::string_view e, uint64_t size, ByteRange *r) {
  size_t i = 0;
  uint64_t first = 0, last = 0;
  if (!e.empty() && e[0] == '-') {
    i = 1;
    uint64_t n;
    if (!number(e, &i, &n) || i != e.size()) return Spec::Invalid;
    // A suffix of zero bytes, or any suffix of an empty representation, selects nothing.
    if (n == 0 || size == 0) return Spec::Dropped;
    r->first = n >= size ? 0 : size - n;
    r->last = size - 1;
    return Spec::Kept;
  }
  if (!number(e, &i, &first) || i == e.size() || e[i] != '-') return Spec::Invalid;
  ++i;
  bool has_last = i < e.size();
  if (has_last && (!number(e, &i, &last) || i != e.size())) return Spec::Invalid;
  if (has_last && last < first) return Spec::Invalid;
  if (first >= size) return Spec::Dropped;
  r->first = first;
  r->last = has_last && last < size - 1 ? last : size - 1;
  return Spec::Kept;
}

}  // namespace

RangeResult parse_range(std::string_view value, uint64_t size, ByteRange *out, size_t max_ranges, size_t *count) {
  *count = 0;
  while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
  size_t eq = value.find('=');
  if (eq == std::string_view::npos || !token_is(value.substr(0, eq), "bytes")) return RangeResult::Ignore;
  std::string_view set = value.substr(eq + 1);

  size_t specs = 0;  // range-specs seen, satisfiable or not
  size_t kept = 0;
  uint64_t total = 0;  // bytes selected so far, never above size
  size_t pos = 0;
  while (pos <= set.size()) {
    size_t comma = set.find(',', pos);
    size_t end = comma == std::string_view::npos ? set.size() : comma;
    size_t a = pos, b = end;
    while (a < b && is_ows(set[a])) ++a;
    while (b > a && is_ows(set[b - 1])) --b;
    if (a < b) {
      if (++specs > max_ranges) return RangeResult::Ignore;
      ByteRange r;
      Spec spec = range_spec(set.substr(a, b - a), size, &r);
      if (spec == Spec::Invalid) return RangeResult::Ignore;
      if (spec == Spec::Kept) {
        uint64_t len = r.last - r.first + 1;
        // Written as a subtraction so that 16 lengths near 2^64 cannot overflow the sum.
        if (len > size - total) return RangeResult::Ignore;
        total += len;
        out[kept++] = r;
      }
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (specs == 0) return RangeResult::Ignore;  // 1#range-spec: at least one
  if (kept == 0) return RangeResult::Unsatisfiable;
  *count = kept;
  return RangeResult::Satisfiable;
}

}  // namespace uvhttp
