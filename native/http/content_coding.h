// Content codings of precompressed files and the Accept-Encoding negotiation that picks one
// (RFC 9110 8.4.1, 12.5.3). The file handler reads every Accept-Encoding field into an AcceptEncoding,
// looks which sibling files exist, and asks choose_coding.
//
//   Accept-Encoding: gzip, br;q=0.9        gzip, then br
//   Accept-Encoding: br;q=0, *             anything but br
//   Accept-Encoding: X-GZIP;Q=0.500        gzip at 0.5
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uvhttp {

enum class ContentCoding : uint8_t { Br, Gzip, Zstd };
constexpr size_t kContentCodings = 3;

// The file suffix (".br", ".gz", ".zst") and the Content-Encoding token ("br", "gzip", "zstd").
std::string_view coding_suffix(ContentCoding c);
std::string_view coding_token(ContentCoding c);

// What the request's Accept-Encoding fields say about each coding.
struct AcceptEncoding {
  // Per coding, 0..1000 (thousandths), after applying "*": what the client named it with, else the
  // q of "*", else 0.
  uint16_t q[kContentCodings];
  // Kept so that a "*" in a later field does not override a coding named in an earlier one.
  uint16_t star_q;
  bool star_seen;
  uint8_t named;  // bit i: coding i was named explicitly
  // "identity" named with a q: a client that prefers it to every coding gets the file as it is.
  uint16_t identity_q;
  bool identity_named;
};

void init_accept_encoding(AcceptEncoding *ae);

// Reads one Accept-Encoding field value; call once per field, in order. Elements are
// `coding [ OWS ";" OWS "q=" qvalue ]` separated by commas with OWS around them; names and the "q" are
// case-insensitive; "x-gzip" is gzip; qvalue is 0 to 1 with up to three decimals. An element with a
// malformed qvalue or any other parameter is ignored. A coding named more than once gets its highest
// q; a coding named explicitly keeps its q whatever "*" says, before or after. "identity" and
// unknown codings are ignored (identity is never refused, so its q does not matter here).
void add_accept_encoding(AcceptEncoding *ae, std::string_view field_value);

// The coding to serve, as an index into ContentCoding, or -1 for identity: among order[0..n) the
// codings with available[c] and q > 0, the one with the highest q; a tie goes to the earlier in order.
int choose_coding(const AcceptEncoding &ae, const bool available[kContentCodings], const ContentCoding *order,
                  size_t n);

}  // namespace uvhttp
