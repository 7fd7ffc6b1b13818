// The authority grammar HTTP/1.1 uses for the Host field and for the authority of an absolute-form
// request-target (RFC 9112 3.2, RFC 3986 3.2 without userinfo):
//
//   authority = uri-host [ ":" port ]
//   uri-host  = IP-literal / IPv4address / reg-name
//   port      = *DIGIT
//
// A Host value that does not match is rejected rather than passed on: applications build URLs, cache
// keys and virtual-host choices from it, and a value with "@", "/" or a space in it reads differently
// to each of them.
//
// Header-only so that message.cc and request_target.cc share one definition without either test
// program having to link the other's source.
#pragma once

#include <cstddef>
#include <cstdint>

namespace uvhttp {
namespace authority_detail {

enum : uint8_t {
  kRegName = 1,  // unreserved and sub-delims, except ","
  kHex = 2,
  kDigit = 4,
};

struct CharTable {
  uint8_t bits[256];
};

constexpr CharTable make_char_table() {
  CharTable t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    bool punct = false;
    // "," is a sub-delim, but in a Host value it is what a proxy leaves when it merges two fields
    // into one: reading it as part of a name would accept two hosts as one.
    for (const char *s = "-._~!$&'()*+;="; *s != '\0'; ++s) {
      if (c == *s) punct = true;
    }
    uint8_t b = 0;
    if (alpha || digit || punct) b |= kRegName;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) b |= kHex;
    if (digit) b |= kDigit;
    t.bits[c] = b;
  }
  return t;
}

inline constexpr CharTable kChars = make_char_table();

inline bool has(char c, uint8_t bit) { return (kChars.bits[static_cast<uint8_t>(c)] & bit) != 0; }

// dec-octet "." dec-octet "." dec-octet "." dec-octet, the whole of s. RFC 3986's dec-octet has no
// leading zeros: "01" is not one.
inline bool is_ipv4(const char *s, size_t n) {
  size_t i = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet != 0) {
      if (i == n || s[i] != '.') return false;
      ++i;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < n && i - start < 3 && has(s[i], kDigit)) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
  }
  return i == n;
}

// RFC 3986's IPv6address: eight 16-bit pieces of 1-4 hex digits, the last two of which may be written
// as an IPv4address, and at most one "::" standing for one or more zero pieces.
inline bool is_ipv6(const char *s, size_t n) {
  size_t i = 0;
  int pieces = 0;
  bool elided = false;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    elided = true;
    i = 2;
    if (i == n) return true;
  }
  for (;;) {
    size_t start = i;
    while (i < n && i - start < 4 && has(s[i], kHex)) ++i;
    if (i == start) return false;
    if (i < n && s[i] == '.') {
      if (!is_ipv4(s + start, n - start)) return false;
      pieces += 2;
      break;
    }
    ++pieces;
    if (i == n) break;
    if (s[i] != ':' || pieces >= 8) return false;
    ++i;
    if (i < n && s[i] == ':') {
      if (elided) return false;
      elided = true;
      if (++i == n) break;
    } else if (i == n) {
      return false;
    }
  }
  return elided ? pieces <= 7 : pieces == 8;
}

// "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ), "," excepted as in reg-name.
inline bool is_ipv_future(const char *s, size_t n) {
  if (n == 0 || (s[0] != 'v' && s[0] != 'V')) return false;
  size_t i = 1;
  while (i < n && has(s[i], kHex)) ++i;
  if (i == 1 || i == n || s[i] != '.' || i + 1 == n) return false;
  ++i;
  for (; i < n; ++i) {
    if (!has(s[i], kRegName) && s[i] != ':') return false;
  }
  return true;
}

// *DIGIT, at most five of them and at most 65535: anything larger cannot name a TCP port, and an
// unbounded digit run would be one more place where two parsers overflow differently.
inline bool is_port(const char *s, size_t n) {
  if (n > 5) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!has(s[i], kDigit)) return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v <= 65535;
}

}  // namespace authority_detail

// True when s[0, n) is uri-host [ ":" port ]. The empty string is valid (an empty reg-name), as an
// empty Host value is (RFC 9110 7.2); a caller that needs a host checks for n == 0 or a leading ":".
inline bool is_valid_authority(const char *s, size_t n) {
  using namespace authority_detail;
  size_t host_end = 0;
  if (n != 0 && s[0] == '[') {
    while (host_end < n && s[host_end] != ']') ++host_end;
    if (host_end == n) return false;
    const char *lit = s + 1;
    size_t lit_len = host_end - 1;
    if (!is_ipv6(lit, lit_len) && !is_ipv_future(lit, lit_len)) return false;
    ++host_end;  // past "]"
  } else {
    // reg-name up to ":" in one pass (every IPv4address is a reg-name too): this runs for every
    // request's Host.
    for (; host_end < n; ++host_end) {
      const char c = s[host_end];
      if (has(c, kRegName)) continue;
      if (c == ':') break;
      if (c != '%' || n - host_end < 3 || !has(s[host_end + 1], kHex) || !has(s[host_end + 2], kHex)) return false;
      host_end += 2;
    }
  }
  if (host_end == n) return true;
  if (s[host_end] != ':') return false;
  return is_port(s + host_end + 1, n - host_end - 1);
}

}  // namespace uvhttp
