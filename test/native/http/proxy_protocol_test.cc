// Unit tests for parse_proxy_header (native/http/proxy_protocol.h): versions 1 and 2 as HAProxy and
// AWS load balancers send them, every malformed, truncated and oversized variant we could name, and
// every valid header cut at every byte (Incomplete until whole, then the same answer with the client's
// bytes behind it). Each input ends right before a guarded page, so a read past it faults.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "guarded_page.h"
#include "http/proxy_protocol.h"

using uvhttp::kProxyV1MaxLength;
using uvhttp::kProxyV2MaxLength;
using uvhttp::parse_proxy_header;
using uvhttp::proxy_source_text;
using uvhttp::ProxyParse;
using uvhttp::ProxySource;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

GuardedBuffer &guard() {
  static GuardedBuffer g(1 << 17);
  return g;
}

std::string printable(const std::string &s) {
  std::string out;
  for (unsigned char c : s.substr(0, 80)) {
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
  }
  return out;
}

struct Got {
  ProxyParse result;
  ProxySource source;
  size_t consumed;
  std::string address; // text, empty for Family::None
};

Got parse(const std::string &bytes) {
  Got g{};
  g.consumed = 999999;
  const char *p = guard().place(bytes.data(), bytes.size());
  g.result = parse_proxy_header(p, bytes.size(), &g.source, &g.consumed);
  if (g.result == ProxyParse::Done) proxy_source_text(g.source, &g.address);
  return g;
}

const char *name(ProxyParse r) {
  switch (r) {
  case ProxyParse::Incomplete: return "Incomplete";
  case ProxyParse::Invalid: return "Invalid";
  case ProxyParse::Done: return "Done";
  }
  return "?";
}

// A valid header: Done with exactly its own length, Incomplete for every proper prefix, and the same
// answer when the client's request follows it in the same read.
void valid(const std::string &header, const std::string &address, uint16_t port) {
  const std::string what = printable(header);
  Got g = parse(header);
  check(g.result == ProxyParse::Done, std::string("Done: ") + what + " got " + name(g.result));
  check(g.consumed == header.size(), "consumed all of " + what + ": " + std::to_string(g.consumed));
  check(g.address == address, "address of " + what + ": '" + g.address + "' want '" + address + "'");
  if (!address.empty()) check(g.source.port == port, "port of " + what + ": " + std::to_string(g.source.port));
  for (size_t cut = 0; cut < header.size(); ++cut) {
    Got p = parse(header.substr(0, cut));
    check(p.result == ProxyParse::Incomplete, "prefix " + std::to_string(cut) + " of " + what + ": " + name(p.result));
  }
  const std::string request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Got more = parse(header + request);
  check(more.result == ProxyParse::Done && more.consumed == header.size() && more.address == address,
        "request behind " + what + " is left alone");
}

void invalid(const std::string &bytes, const std::string &why) {
  Got g = parse(bytes);
  check(g.result == ProxyParse::Invalid, "Invalid (" + why + "): " + printable(bytes) + " got " + name(g.result));
}

void incomplete(const std::string &bytes, const std::string &why) {
  Got g = parse(bytes);
  check(g.result == ProxyParse::Incomplete, "Incomplete (" + why + "): " + printable(bytes) + " got " + name(g.result));
}

const std::string kSig("\r\n\r\n\0\r\nQUIT\n", 12);

std::string v2(uint8_t ver_cmd, uint8_t fam, const std::string &block) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(fam);
  h += static_cast<char>(block.size() >> 8);
  h += static_cast<char>(block.size() & 0xff);
  return h + block;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

std::string tlv(uint8_t type, const std::string &value) {
  return std::string(1, static_cast<char>(type)) + static_cast<char>(value.size() >> 8) +
         static_cast<char>(value.size() & 0xff) + value;
}

const std::string kInet4Block = bytes({192, 0, 2, 7, 10, 0, 0, 1, 0xd4, 0x31, 0x00, 0x50}); // :54321 -> :80
std::string inet6_block() {
  std::string b = bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}); // 2001:db8::1
  b += bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02});
  b += bytes({0x01, 0xbb, 0x00, 0x50}); // 443 -> 80
  return b;
}

void version1() {
  valid("PROXY TCP4 192.0.2.7 10.0.0.1 54321 80\r\n", "192.0.2.7", 54321);
  valid("PROXY TCP6 2001:db8::1 2001:db8::2 443 8080\r\n", "2001:db8::1", 443);
  valid("PROXY TCP6 ::ffff:192.0.2.7 ::1 0 65535\r\n", "::ffff:192.0.2.7", 0);
  valid("PROXY UNKNOWN\r\n", "", 0);
  valid("PROXY UNKNOWN 192.0.2.7 10.0.0.1 54321 80\r\n", "", 0);
  // The longest line the spec allows: UNKNOWN with anything up to 107 bytes in all.
  const std::string longest = "PROXY UNKNOWN " + std::string(kProxyV1MaxLength - 16, 'x') + "\r\n";
  check(longest.size() == kProxyV1MaxLength, "the longest v1 line is 107 bytes");
  valid(longest, "", 0);
  valid("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);

  // Oversized: one byte more than the spec allows, with and without its CRLF in view.
  invalid("PROXY UNKNOWN " + std::string(kProxyV1MaxLength - 15, 'x') + "\r\n", "108-byte line");
  invalid("PROXY UNKNOWN " + std::string(kProxyV1MaxLength - 15, 'x') + "\r", "CR at byte 107");
  invalid("PROXY UNKNOWN " + std::string(200, 'x'), "no CRLF within 107 bytes");
  incomplete("PROXY UNKNOWN " + std::string(kProxyV1MaxLength - 16, 'x') + "\r", "CR at byte 106, LF to come");
  incomplete("PROXY UNKNOWN " + std::string(kProxyV1MaxLength - 16, 'x'), "105 bytes, no CR yet");

  // Not a PROXY header at all: what a client that skips the balancer sends.
  invalid("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "a plain request");
  invalid("G", "a plain request's first byte");
  invalid("PROXI TCP4 1.2.3.4 1.2.3.4 1 1\r\n", "misspelled");
  invalid("proxy TCP4 1.2.3.4 1.2.3.4 1 1\r\n", "lower case");
  invalid("PROXYTCP4 1.2.3.4 1.2.3.4 1 1\r\n", "no space after PROXY");
  invalid("PRO\n", "LF inside the prefix");

  // Malformed lines.
  const char *bad[] = {
      "PROXY TCP5 1.2.3.4 1.2.3.4 1 1\r\n",
      "PROXY tcp4 1.2.3.4 1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1 1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1 1 \r\n",
      "PROXY TCP4  1.2.3.4 1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3.4  1.2.3.4 1 1\r\n",
      "PROXY  TCP4 1.2.3.4 1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 65536 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1 99999\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 080 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 -1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 +1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1a 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4  1\r\n",
      "PROXY TCP4 1.2.3.256 1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3 1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4.5 1 1\r\n",
      "PROXY TCP4 ::1 1.2.3.4 1 1\r\n",
      "PROXY TCP6 1.2.3.4 ::1 1 1\r\n",
      "PROXY TCP6 ::1 ::g 1 1\r\n",
      "PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 1\r\n",
      "PROXY TCP4 localhost 1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1 1\n",
      "PROXY TCP4 1.2.3.4 1.2.3.4 1 1\rX",
      "PROXY TCP4 1.2.3.4\n1.2.3.4 1 1\r\n",
      "PROXY TCP4 1.2.3.4\t1.2.3.4 1 1\r\n",
      "PROXY UNKNOWNX\r\n",
      "PROXY \r\n",
      "PROXY UNKNOWN \x80\r\n",
  };
  for (const char *b : bad) invalid(b, "malformed v1");
  invalid(std::string("PROXY TCP4 1.2.3.4\0 1.2.3.4 1 1\r\n", 34), "NUL inside");

  // Truncated: every prefix of a valid line waits (checked in valid()); a line cut short and then
  // followed by the request is caught by its fields.
  invalid("PROXY TCP4 1.2.3.4\r\nGET / HTTP/1.1\r\n\r\n", "cut after the source");
}

void version2() {
  valid(v2(0x21, 0x11, kInet4Block), "192.0.2.7", 54321);
  valid(v2(0x21, 0x12, kInet4Block), "192.0.2.7", 54321); // UDP over IPv4: still a source address
  valid(v2(0x21, 0x21, inet6_block()), "2001:db8::1", 443);
  valid(v2(0x21, 0x10, kInet4Block), "192.0.2.7", 54321); // transport UNSPEC
  // LOCAL (a health check from the balancer itself): the socket's own peer is the client.
  valid(v2(0x20, 0x00, ""), "", 0);
  valid(v2(0x20, 0x11, kInet4Block), "", 0);
  valid(v2(0x20, 0x00, "anything at all"), "", 0);
  // PROXY with UNSPEC: the balancer could not tell; the block is ignored.
  valid(v2(0x21, 0x00, ""), "", 0);
  valid(v2(0x21, 0x00, "ignored"), "", 0);
  // Unix socket addresses: no client address to take.
  valid(v2(0x21, 0x31, std::string(216, 'p')), "", 0);
  // TLVs as AWS and HAProxy send them: a VPC endpoint id, an ALPN, a NOOP padding.
  valid(v2(0x21, 0x11, kInet4Block + tlv(0xea, "\x01vpce-0123456789abcdef") + tlv(0x01, "h2") + tlv(0x04, std::string(5, 0))),
        "192.0.2.7", 54321);
  valid(v2(0x21, 0x11, kInet4Block + tlv(0x04, "")), "192.0.2.7", 54321);
  // The longest block allowed.
  const std::string pad = tlv(0x04, std::string(kProxyV2MaxLength - 16 - 12 - 3, 0));
  valid(v2(0x21, 0x11, kInet4Block + pad), "192.0.2.7", 54321);

  // Oversized: refused from the length field, before its bytes are read.
  std::string huge = v2(0x21, 0x11, kInet4Block + tlv(0x04, std::string(kProxyV2MaxLength - 16 - 12 - 2, 0)));
  invalid(huge.substr(0, 16), "block one byte over the limit, seen in the preamble");
  invalid(huge, "block one byte over the limit");
  invalid(kSig + bytes({0x21, 0x11, 0xff, 0xff}), "64 KiB block");

  // Malformed preambles.
  invalid(v2(0x11, 0x11, kInet4Block), "version 1 in the binary form");
  invalid(v2(0x31, 0x11, kInet4Block), "version 3");
  invalid(v2(0x22, 0x11, kInet4Block), "command 2");
  invalid(v2(0x2f, 0x11, kInet4Block), "command 15");
  invalid(v2(0x21, 0x41, kInet4Block), "family 4");
  invalid(v2(0x21, 0x13, kInet4Block), "transport 3");
  invalid(v2(0x21, 0x11, kInet4Block.substr(0, 11)), "IPv4 block one byte short");
  invalid(v2(0x21, 0x21, inet6_block().substr(0, 35)), "IPv6 block one byte short");
  invalid(v2(0x21, 0x21, kInet4Block), "IPv6 family with an IPv4 block");
  invalid(v2(0x21, 0x31, std::string(215, 'p')), "Unix block one byte short");
  invalid(v2(0x21, 0x11, kInet4Block + "\x04"), "a TLV cut after its type");
  invalid(v2(0x21, 0x11, kInet4Block + std::string("\x04\x00", 2)), "a TLV cut in its length");
  invalid(v2(0x21, 0x11, kInet4Block + std::string("\x04\x00\x05" "abcd", 7)), "a TLV longer than the block");
  std::string sig = kSig;
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string forged = v2(0x21, 0x11, kInet4Block);
    forged[i] = static_cast<char>(forged[i] ^ 0x20);
    invalid(forged, "signature byte " + std::to_string(i) + " changed");
  }

  // Truncated: the header's length field promises more than came; it waits for it (the connection's
  // headers timeout bounds the wait).
  incomplete(v2(0x21, 0x11, kInet4Block).substr(0, 20), "IPv4 block cut");
  incomplete(kSig.substr(0, 5), "signature cut before its NUL");
}

void text_of_none() {
  ProxySource none;
  std::string out = "unchanged";
  check(!proxy_source_text(none, &out) && out == "unchanged", "no text for Family::None");
}

// Every input of up to 3 bytes over the bytes that matter: no crash, consumed within the input.
void small_inputs() {
  const char alphabet[] = {'P', 'R', 'O', 'X', 'Y', ' ', '\r', '\n', '\0', 'Q', '1', 0x21, 0x11, 'G'};
  const size_t n = sizeof(alphabet);
  size_t count = 0;
  for (size_t len = 0; len <= 3; ++len) {
    size_t total = 1;
    for (size_t i = 0; i < len; ++i) total *= n;
    for (size_t k = 0; k < total; ++k) {
      std::string s;
      size_t v = k;
      for (size_t i = 0; i < len; ++i, v /= n) s += alphabet[v % n];
      Got g = parse(s);
      if (g.result == ProxyParse::Done) check(g.consumed <= s.size(), "consumed within " + printable(s));
      ++count;
    }
  }
  check(count > 2000, "small inputs tried");
}

} // namespace

int main() {
  version1();
  version2();
  text_of_none();
  small_inputs();
  return check::summary("proxy_protocol");
}
