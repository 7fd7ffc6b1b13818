// Framing and connection semantics of a parsed head (see message.h).
//
// Runs once per request, so it walks the header array a single time and only looks closer at a field
// whose name has the length of one we care about. Every rule that decides where a body ends is here:
// a request we cannot frame unambiguously is rejected, never guessed at (request smuggling).

#include "http/message.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "http/authority.h"
#include "http/field_name.h"

namespace uvhttp {
namespace {

constexpr uint64_t kMaxContentLength = INT64_MAX;  // what the JS side and off_t can represent

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Calls f(element, length) for each element of a comma-separated list value (RFC 9110 5.6.1), with
// OWS trimmed; empty elements are passed too, the caller decides what they mean. Stops when f
// returns false and returns false.
template <typename F>
bool for_each_element(const char *v, size_t n, F f) {
  const char *p = v;
  const char *end = v + n;
  for (;;) {
    const char *start = p;
    while (p != end && *p != ',') ++p;
    const char *e = p;
    while (start != e && is_ows(*start)) ++start;
    while (e != start && is_ows(e[-1])) --e;
    if (!f(start, static_cast<size_t>(e - start))) return false;
    if (p == end) return true;
    ++p;
  }
}

// Content-Length = 1*DIGIT, nothing else (no sign, no inner space), at most kMaxContentLength.
bool parse_length(const char *s, size_t n, uint64_t *out) {
  if (n == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    auto digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (kMaxContentLength - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

// s[0, n) == known, inline: a libc memcmp call costs more than the short Host values it compares.
inline bool same_bytes(const char *s, size_t n, std::string_view known) {
  if (n != known.size()) return false;
  const char *k = known.data();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i)
      if (s[i] != k[i]) return false;
    return true;
  }
  // Whole words, the last one overlapping the one before: "127.0.0.1:8080" is two compares.
  auto word = [](const char *p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  for (size_t i = 0; i + 8 < n; i += 8)
    if (word(s + i) != word(k + i)) return false;
  return word(s + n - 8) == word(k + n - 8);
}

struct Scan {
  unsigned host_fields = 0;
  bool te_present = false;
  unsigned chunked_count = 0;
  bool last_coding_chunked = false;
  bool other_coding = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool expect_continue = false;
};

// One Transfer-Encoding element: transfer-coding = token *( OWS ";" OWS transfer-parameter ).
// Parameters are not interpreted: chunked defines none, and any other coding is rejected anyway.
bool add_coding(Scan &s, const char *e, size_t n) {
  if (n == 0) return true;  // RFC 9110 5.6.1: empty list elements are ignored
  size_t name_len = 0;
  while (name_len < n && is_tchar(e[name_len])) ++name_len;
  if (name_len == 0) return false;
  size_t i = name_len;
  while (i < n && is_ows(e[i])) ++i;
  bool has_params = i < n;
  if (has_params && e[i] != ';') return false;
  if (token_is({e, name_len}, "chunked")) {
    if (has_params) return false;
    ++s.chunked_count;
    s.last_coding_chunked = true;
  } else {
    s.other_coding = true;
    s.last_coding_chunked = false;
  }
  return true;
}

bool fail(MessageInfo *out, MessageError e) {
  out->error = e;
  out->keep_alive = false;
  return false;
}

}  // namespace

bool analyze_message(const RequestHead &head, MessageInfo *out, std::string_view known_host) {
  *out = MessageInfo{};
  Scan s;
  uint64_t length = 0;

  for (size_t i = 0; i < head.num_headers; ++i) {
    const HeaderField &h = head.headers[i];
    switch (h.name_len) {
      case 4:
        if (field_name_is(h, "host")) {
          if (++s.host_fields > 1) return fail(out, MessageError::DuplicateHost);
          // RFC 9112 3.2: an invalid Host value gets a 400 like a missing or repeated one.
          out->host_known = same_bytes(h.value, h.value_len, known_host);
          if (!out->host_known && !is_valid_authority(h.value, h.value_len)) return fail(out, MessageError::BadHost);
          out->host = h.value;
          out->host_len = h.value_len;
        }
        break;
      case 6:
        if (field_name_is(h, "expect")) {
          if (!token_is({h.value, h.value_len}, "100-continue")) return fail(out, MessageError::BadExpect);
          s.expect_continue = true;
        }
        break;
      case 10:
        if (field_name_is(h, "connection")) {
          for_each_element(h.value, h.value_len, [&s](const char *e, size_t n) {
            if (token_is({e, n}, "close")) s.conn_close = true;
            else if (token_is({e, n}, "keep-alive")) s.conn_keep_alive = true;
            return true;
          });
        }
        break;
      case 14:
        if (field_name_is(h, "content-length")) {
          // Repeats are tolerated only when they all carry the same value (RFC 9110 8.6): an
          // upstream may have merged duplicate fields. Any disagreement is a smuggling attempt.
          bool ok = for_each_element(h.value, h.value_len, [&](const char *e, size_t n) {
            uint64_t v = 0;
            if (!parse_length(e, n, &v)) return false;
            if (out->has_content_length && v != length) return false;
            length = v;
            out->has_content_length = true;
            return true;
          });
          if (!ok) return fail(out, MessageError::BadContentLength);
        }
        break;
      case 17:
        if (field_name_is(h, "transfer-encoding")) {
          s.te_present = true;
          bool ok = for_each_element(h.value, h.value_len,
                                     [&s](const char *e, size_t n) { return add_coding(s, e, n); });
          if (!ok) return fail(out, MessageError::BadTransferEncoding);
        }
        break;
      default:
        break;
    }
  }

  if (s.te_present) {
    // RFC 9112 6.1: HTTP/1.0 has no chunked coding, so a TE there means the framing is faulty.
    if (head.minor_version == 0) return fail(out, MessageError::BadTransferEncoding);
    // RFC 9112 6.3 lets TE override CL, but an intermediary that did the opposite would see a
    // different message boundary; refusing both is the only safe reading.
    if (out->has_content_length) return fail(out, MessageError::ContentLengthAndChunked);
    if (s.chunked_count != 1 || !s.last_coding_chunked) {
      return fail(out, MessageError::BadTransferEncoding);
    }
    if (s.other_coding) return fail(out, MessageError::UnknownTransferEncoding);
    out->chunked = true;
  }
  if (head.minor_version == 1 && s.host_fields == 0) return fail(out, MessageError::MissingHost);

  out->content_length = length;
  out->keep_alive = !s.conn_close && (head.minor_version == 1 || s.conn_keep_alive);
  // RFC 9110 10.1.1: an HTTP/1.0 client cannot understand 100 Continue, so its expectation is ignored.
  out->expect_continue = s.expect_continue && head.minor_version == 1;
  return true;
}

}  // namespace uvhttp
