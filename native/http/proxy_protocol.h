// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a load balancer such as HAProxy or
// an AWS Network Load Balancer sends before the first byte of the client's own stream, to say whose
// connection it relays. Bytes in, the client's address out; no socket, so it is unit-tested and fuzzed
// on raw bytes like the request parser.
//
// The header is all or nothing: anything that is not exactly one valid header is Invalid, and the
// connection must be closed without a reply (the spec forbids guessing, and a stream that may have
// been relayed with a forged or missing header cannot be trusted for anything after it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace uvhttp {

// Version 1 is one text line of at most 107 bytes, CRLF included.
constexpr size_t kProxyV1MaxLength = 107;
// Version 2 is a 16-byte preamble and a length-prefixed block of addresses and TLVs. The length field
// allows 64 KiB; real balancers send well under 1 KiB (AWS adds a VPC endpoint TLV, HAProxy its TLS
// details). A longer header is refused rather than buffered.
constexpr size_t kProxyV2MaxLength = 16 + 2048;

// The connection's real source as the balancer saw it. None: the header says to use the socket's own
// peer (v1 UNKNOWN, v2 LOCAL health checks, v2 UNSPEC or Unix-socket sources).
struct ProxySource {
  enum class Family : uint8_t { None, Inet4, Inet6 };
  Family family = Family::None;
  uint16_t port = 0;
  uint8_t address[16] = {}; // network order; the first 4 bytes for Inet4
};

enum class ProxyParse : uint8_t {
  Incomplete, // a valid beginning: read more (the caller bounds how long it waits)
  Invalid,    // not a PROXY header, or a malformed or oversized one
  Done,       // *consumed bytes were the header; what follows is the client's stream
};

// Parses the header at the start of data[0, len). Reads nothing past data + len.
ProxyParse parse_proxy_header(const char *data, size_t len, ProxySource *source, size_t *consumed);

// The source's address as text ("192.0.2.1", "2001:db8::1"); false for Family::None.
bool proxy_source_text(const ProxySource &source, std::string *address);

} // namespace uvhttp
