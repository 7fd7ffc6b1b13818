// libFuzzer target for the socket-free pieces of the static-files handler: the Range, conditional and
// Accept-Encoding header values, HTTP-dates and the URL path mapping.
//
// The whole input is every header value at once, so one corpus serves all parsers; an input holding
// a '\n' also gives its last line to the comparisons as the current entity-tag. Beyond "does not
// crash", it checks what the handler relies on: ranges inside the file and no more bytes than it,
// dates that survive a format/parse round trip, a strong match implying a weak one, Accept-Encoding
// read the same whole or split into fields, and mapped paths that cannot leave the root.
// Build and run with scripts/fuzz.sh.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/file_path.h"
#include "http/conditional.h"
#include "http/content_coding.h"
#include "http/http_date.h"
#include "http/range.h"

using uvhttp::AcceptEncoding;
using uvhttp::ByteRange;
using uvhttp::ContentCoding;
using uvhttp::PathResult;
using uvhttp::RangeResult;

namespace {

void require(bool ok, const char *what) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

void fuzz_range(std::string_view v) {
  static const uint64_t sizes[] = {0, 1, 2, 3, 10, 1000, uint64_t(1) << 63, UINT64_MAX - 1, UINT64_MAX};
  for (uint64_t size : sizes) {
    ByteRange out[uvhttp::kMaxRanges + 1];
    out[uvhttp::kMaxRanges] = ByteRange{7, 7};
    size_t count = 99;
    RangeResult r = uvhttp::parse_range(v, size, out, uvhttp::kMaxRanges, &count);
    require(out[uvhttp::kMaxRanges].first == 7 && out[uvhttp::kMaxRanges].last == 7, "range written past max_ranges");
    if (r != RangeResult::Satisfiable) {
      require(count == 0, "count set without ranges");
      if (r == RangeResult::Unsatisfiable) require(v.find('-') != std::string_view::npos, "416 without a range");
      continue;
    }
    require(count >= 1 && count <= uvhttp::kMaxRanges, "count out of bounds");
    uint64_t total = 0;
    for (size_t i = 0; i < count; ++i) {
      require(out[i].first <= out[i].last, "range first > last");
      require(out[i].last < size, "range past the end");
      uint64_t len = out[i].last - out[i].first + 1;
      require(len <= size - total, "ranges select more than the file");
      total += len;
    }
    // A smaller limit only ever turns ranges into Ignore; when it is not reached the answer is the same.
    ByteRange one[1];
    size_t one_count = 99;
    RangeResult r1 = uvhttp::parse_range(v, size, one, 1, &one_count);
    require(r1 == RangeResult::Ignore || (r1 == RangeResult::Satisfiable && count == 1 && one_count == 1 &&
                                          one[0].first == out[0].first && one[0].last == out[0].last),
            "max_ranges 1 disagrees");
  }
}

void fuzz_date(std::string_view v) {
  int64_t t = 0;
  if (!uvhttp::parse_http_date(v, &t)) return;
  require(t >= -62167219200LL && t <= uvhttp::kMaxHttpDate + 1, "date outside four-digit years");
  if (t < 0 || t > uvhttp::kMaxHttpDate) return;
  char buf[uvhttp::kHttpDateLength];
  uvhttp::format_http_date(t, buf);
  int64_t back = -1;
  require(uvhttp::parse_http_date(std::string_view(buf, sizeof(buf)), &back) && back == t, "date round trip");
}

void fuzz_conditional(std::string_view v, std::string_view etag) {
  bool weak = uvhttp::none_match(v, etag);
  bool strong = uvhttp::any_match_strong(v, etag);
  require(!strong || weak, "strong match without weak match");
  int64_t t = 0;
  bool is_date = uvhttp::parse_http_date(v, &t);
  bool by_tag = uvhttp::if_range_matches(v, etag, false, 0);
  require(!by_tag || strong, "If-Range tag match that If-Match would refuse");
  if (is_date) {
    require(!by_tag, "If-Range value both a date and a tag");
    require(uvhttp::if_range_matches(v, etag, true, t), "If-Range date not equal to itself");
    require(!uvhttp::if_range_matches(v, etag, true, t + 1), "If-Range date equal to another");
  } else {
    require(uvhttp::if_range_matches(v, etag, true, t) == by_tag, "If-Range: a date changed a tag's answer");
  }
}

void fuzz_accept_encoding(std::string_view v) {
  AcceptEncoding whole;
  uvhttp::init_accept_encoding(&whole);
  uvhttp::add_accept_encoding(&whole, v);
  for (uint16_t q : whole.q) require(q <= 1000, "q above 1");
  // The same elements split into two fields at a comma read the same.
  size_t comma = v.find(',');
  if (comma != std::string_view::npos) {
    AcceptEncoding split;
    uvhttp::init_accept_encoding(&split);
    uvhttp::add_accept_encoding(&split, v.substr(0, comma));
    uvhttp::add_accept_encoding(&split, v.substr(comma + 1));
    require(std::memcmp(split.q, whole.q, sizeof(whole.q)) == 0, "split fields read differently");
  }
  static const ContentCoding order[] = {ContentCoding::Br, ContentCoding::Gzip, ContentCoding::Zstd};
  for (unsigned mask = 0; mask < 8; ++mask) {
    bool available[uvhttp::kContentCodings] = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
    int c = uvhttp::choose_coding(whole, available, order, 3);
    if (c < 0) {
      // Identity, unless a coding was acceptable and the client did not prefer identity to it.
      for (size_t i = 0; i < uvhttp::kContentCodings; ++i)
        require(!available[i] || whole.q[i] == 0 || (whole.identity_named && whole.identity_q > whole.q[i]),
                "refused a coding");
      continue;
    }
    require(c < 3 && available[c] && whole.q[c] > 0, "chose an unavailable or refused coding");
    for (size_t i = 0; i < uvhttp::kContentCodings; ++i)
      require(!available[i] || whole.q[i] < whole.q[c] || (whole.q[i] == whole.q[c] && i >= size_t(c)),
              "chose a coding with a lower q or later on a tie");
  }
}

void check_mapped(const std::string &out, bool allow_dotfiles) {
  require(out.empty() || (out.front() != '/' && out.back() != '/'), "leading or trailing '/'");
  require(out.find("//") == std::string::npos, "empty segment");
  require(out.find('\\') == std::string::npos, "backslash");
  for (char c : out) require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control byte or NUL");
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string_view seg(out.data() + start, end - start);
    require(seg != ".." && seg != ".", "dot segment");
    require(allow_dotfiles || seg[0] != '.', "dotfile with dotfiles denied");
    start = end + 1;
  }
}

void fuzz_path(std::string_view v) {
  std::string deny, allow;
  bool deny_slash = false, allow_slash = false;
  PathResult d = uvhttp::map_url_path(v, false, &deny, &deny_slash);
  PathResult a = uvhttp::map_url_path(v, true, &allow, &allow_slash);
  require(a != PathResult::Dotfile, "Dotfile with dotfiles allowed");
  require((d == PathResult::BadRequest) == (a == PathResult::BadRequest), "dotfiles changed a 400");
  if (d == PathResult::Ok) {
    require(a == PathResult::Ok && allow == deny && allow_slash == deny_slash, "dotfiles changed an Ok path");
    check_mapped(deny, false);
    require(deny.size() <= v.size(), "decoded path longer than the input");
  } else {
    require(deny.empty(), "output left on failure");
  }
  if (a == PathResult::Ok) check_mapped(allow, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1 << 16)) return 0;
  // Exact-size heap copies, so ASan flags any read past the end.
  std::vector<char> copy(data, data + size);
  std::string_view v(copy.data(), copy.size());
  fuzz_range(v);
  fuzz_date(v);
  fuzz_accept_encoding(v);
  fuzz_path(v);

  static const std::string kTags[] = {"\"1a-5f\"", "W/\"1a-5f\"", "", "\"\""};
  for (const std::string &tag : kTags) fuzz_conditional(v, tag);
  size_t nl = v.rfind('\n');
  if (nl != std::string_view::npos) {
    std::vector<char> value(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(nl));
    std::vector<char> etag(copy.begin() + static_cast<std::ptrdiff_t>(nl) + 1, copy.end());
    fuzz_conditional(std::string_view(value.data(), value.size()), std::string_view(etag.data(), etag.size()));
  }
  return 0;
}
