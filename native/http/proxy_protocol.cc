#include "http/proxy_protocol.h"

#include <cstring>
#include <string_view>

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

namespace uvhttp {

namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'};
constexpr size_t kV2PreambleLength = 16;

// Whether data[0, len) could still begin with prefix.
bool starts_like(const char *data, size_t len, const char *prefix, size_t prefix_len) {
  return std::memcmp(data, prefix, len < prefix_len ? len : prefix_len) == 0;
}

// A decimal port: 0 to 65535, no sign, no leading zero.
bool parse_port(std::string_view s, uint16_t *port) {
  if (s.empty() || s.size() > 5 || (s[0] == '0' && s.size() > 1)) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

bool parse_address(std::string_view s, int af, uint8_t *out) {
  char text[64];
  if (s.empty() || s.size() >= sizeof(text)) return false;
  std::memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  return inet_pton(af, text, out) == 1;
}

// Splits off the text before the next space; false when there is none.
bool next_field(std::string_view *rest, std::string_view *field) {
  const size_t sp = rest->find(' ');
  if (sp == std::string_view::npos) return false;
  *field = rest->substr(0, sp);
  rest->remove_prefix(sp + 1);
  return true;
}

// "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", "PROXY TCP6 ...", or "PROXY UNKNOWN[ anything]\r\n".
ProxyParse parse_v1(const char *data, size_t len, ProxySource *source, size_t *consumed) {
  // The line is printable ASCII up to its CR: a NUL or a bare LF inside would make the fields
  // ambiguous, so one fails the header at once rather than after 107 bytes.
  const size_t window = len < kProxyV1MaxLength ? len : kProxyV1MaxLength;
  size_t line_len = kV1Prefix.size();
  while (line_len < window && data[line_len] != '\r') {
    const auto c = static_cast<unsigned char>(data[line_len]);
    if (c < 0x20 || c > 0x7e) return ProxyParse::Invalid;
    ++line_len;
  }
  if (line_len == window) return len >= kProxyV1MaxLength ? ProxyParse::Invalid : ProxyParse::Incomplete;
  if (line_len + 2 > kProxyV1MaxLength) return ProxyParse::Invalid; // the LF would be byte 108
  if (line_len + 1 == len) return ProxyParse::Incomplete;
  if (data[line_len + 1] != '\n') return ProxyParse::Invalid;
  const std::string_view line(data + kV1Prefix.size(), line_len - kV1Prefix.size());

  ProxySource s;
  if (line == "UNKNOWN" || line.substr(0, 8) == "UNKNOWN ") {
    // The balancer could not tell (or relays something other than TCP): the rest is to be ignored.
    s.family = ProxySource::Family::None;
  } else {
    std::string_view proto, src, dst, sport;
    std::string_view rest = line;
    if (!next_field(&rest, &proto) || !next_field(&rest, &src) || !next_field(&rest, &dst) ||
        !next_field(&rest, &sport)) {
      return ProxyParse::Invalid;
    }
    const std::string_view dport = rest; // the last field: no space may follow it
    int af;
    if (proto == "TCP4") {
      af = AF_INET;
      s.family = ProxySource::Family::Inet4;
    } else if (proto == "TCP6") {
      af = AF_INET6;
      s.family = ProxySource::Family::Inet6;
    } else {
      return ProxyParse::Invalid;
    }
    uint8_t dst_address[16];
    uint16_t dst_port;
    if (!parse_address(src, af, s.address) || !parse_address(dst, af, dst_address) || !parse_port(sport, &s.port) ||
        !parse_port(dport, &dst_port)) {
      return ProxyParse::Invalid;
    }
  }
  *source = s;
  *consumed = line_len + 2;
  return ProxyParse::Done;
}

// The TLVs after the addresses must tile the rest of the block exactly: a header whose lengths
// disagree was cut or forged.
bool tlvs_fit(const uint8_t *p, size_t len) {
  while (len > 0) {
    if (len < 3) return false;
    const size_t value_len = (static_cast<size_t>(p[1]) << 8) | p[2];
    if (3 + value_len > len) return false;
    p += 3 + value_len;
    len -= 3 + value_len;
  }
  return true;
}

ProxyParse parse_v2(const char *data, size_t len, ProxySource *source, size_t *consumed) {
  if (len < kV2PreambleLength) return ProxyParse::Incomplete;
  const auto *p = reinterpret_cast<const uint8_t *>(data);
  const uint8_t version = p[12] >> 4, command = p[12] & 0x0f;
  const uint8_t family = p[13] >> 4, transport = p[13] & 0x0f;
  if (version != 2 || command > 1 || family > 3 || transport > 2) return ProxyParse::Invalid;
  const size_t block = (static_cast<size_t>(p[14]) << 8) | p[15];
  const size_t total = kV2PreambleLength + block;
  if (total > kProxyV2MaxLength) return ProxyParse::Invalid;
  if (len < total) return ProxyParse::Incomplete;

  ProxySource s;
  const uint8_t *a = p + kV2PreambleLength;
  size_t addresses = 0;
  // LOCAL is the balancer's own connection (a health check): its addresses, if any, are not a client's.
  if (command == 1) {
    switch (family) {
    case 1: // IPv4: source, destination, source port, destination port
      addresses = 12;
      if (block < addresses) return ProxyParse::Invalid;
      s.family = ProxySource::Family::Inet4;
      std::memcpy(s.address, a, 4);
      s.port = static_cast<uint16_t>((a[8] << 8) | a[9]);
      break;
    case 2: // IPv6
      addresses = 36;
      if (block < addresses) return ProxyParse::Invalid;
      s.family = ProxySource::Family::Inet6;
      std::memcpy(s.address, a, 16);
      s.port = static_cast<uint16_t>((a[32] << 8) | a[33]);
      break;
    case 3: // Unix socket paths: no address a client could be told by
      addresses = 216;
      if (block < addresses) return ProxyParse::Invalid;
      break;
    default: break; // UNSPEC
    }
    if (family != 0 && !tlvs_fit(a + addresses, block - addresses)) return ProxyParse::Invalid;
  }
  *source = s;
  *consumed = total;
  return ProxyParse::Done;
}

} // namespace

ProxyParse parse_proxy_header(const char *data, size_t len, ProxySource *source, size_t *consumed) {
  if (len == 0) return ProxyParse::Incomplete;
  if (data[0] == 'P') {
    if (!starts_like(data, len, kV1Prefix.data(), kV1Prefix.size())) return ProxyParse::Invalid;
    if (len < kV1Prefix.size()) return ProxyParse::Incomplete;
    return parse_v1(data, len, source, consumed);
  }
  if (data[0] == '\r') {
    if (!starts_like(data, len, kV2Signature, sizeof(kV2Signature))) return ProxyParse::Invalid;
    return parse_v2(data, len, source, consumed);
  }
  return ProxyParse::Invalid;
}

bool proxy_source_text(const ProxySource &source, std::string *address) {
  char text[64];
  const int af = source.family == ProxySource::Family::Inet4 ? AF_INET : AF_INET6;
  if (source.family == ProxySource::Family::None || !inet_ntop(af, source.address, text, sizeof(text))) return false;
  *address = text;
  return true;
}

} // namespace uvhttp
