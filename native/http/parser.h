// HTTP/1.1 request-head parser and chunked-body decoder.
//
// picohttpparser's design: stateless, zero-copy (every field points into the caller's buffer), no
// allocation. The caller owns the buffer and the header array. Nothing here knows about sockets or
// Node, so it is unit-tested and fuzzed on raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#ifdef _MSC_VER
#include <BaseTsd.h>
typedef SSIZE_T ssize_t; // MSVC has no ssize_t
#endif

namespace uvhttp {

// Why a request was rejected. The connection maps this to a status (see http_errors.h).
enum class ParseError : uint8_t {
  None = 0,
  BadRequestLine,      // 400: malformed method token, target or request-line layout
  BadVersion,          // 400: "HTTP/x.y" missing or malformed
  VersionNotSupported, // 505: well-formed but not HTTP/1.0 or HTTP/1.1
  BadHeaderName,       // 400: empty name, invalid token char, whitespace before the colon
  BadHeaderValue,      // 400: CTL (other than HTAB) or NUL in a value
  ObsFold,             // 400: a header line starting with SP/HTAB (obsolete line folding)
  BareLF,              // 400: a line ending in LF without CR (we are strict: see README)
  TooManyHeaders,      // 431: more header fields than the array the caller passed
};

struct HeaderField {
  const char *name;
  size_t name_len;
  const char *value; // leading and trailing SP/HTAB stripped
  size_t value_len;
};

struct RequestHead {
  const char *method;
  size_t method_len;
  const char *target; // request-target as sent (path and query)
  size_t target_len;
  int minor_version; // 0 or 1
  HeaderField *headers; // in: caller's array
  size_t num_headers;   // in: capacity of headers; out: number parsed
  ParseError error;     // set when parse_request returns -1
};

// Parses one request head (request line, header fields, empty line) at the start of buf.
// Returns the number of bytes consumed (the head including its final CRLF), -2 when buf holds an
// incomplete but so-far-valid prefix, -1 when it is invalid (out->error says why).
// last_len is the length of buf at the previous call that returned -2 for the same request (0 for the
// first call); it lets the parser skip re-checking for the end of the head in bytes it already saw.
// With last_len != 0 the parser only looks for the end of the head (and for a bare LF) in the new
// bytes, so an invalid byte in an unfinished head may be reported as -2 until the head's final CRLF
// arrives; the verdict then is the one a fresh parse gives. The caller's head-size limit bounds this.
// On -2 and -1, num_headers is left at the capacity, so the same RequestHead can be passed again.
// Up to four empty lines (CRLF) before the request line are skipped and counted in the result.
int parse_request(const char *buf, size_t len, RequestHead *out, size_t last_len);

// Incremental in-place decoder for the chunked transfer coding (RFC 9112 section 7.1).
// Zero-initialise before the first call for a message.
struct ChunkedDecoder {
  size_t bytes_left_in_chunk; // data bytes of the current chunk not yet seen
  uint64_t total;             // decoded body bytes so far (the caller enforces its body limit)
  uint8_t state;              // private
  uint8_t hex_count;          // private
};

// Decodes the chunked bytes in buf[0, *len) in place. On return buf[0, *len) holds the body bytes
// decoded by this call (append them to what earlier calls produced).
// Returns -2 when the message is not complete yet (feed the next bytes in a later call), -1 on a
// malformed chunk size, a chunk-size overflow, a missing CRLF after chunk data, invalid extension or
// trailer bytes; otherwise the message is complete and the return value is the number of bytes that
// followed the message in the input (the next pipelined request); those bytes are left right after the
// decoded data, at buf + *len.
// Chunk extensions and trailer fields are checked and dropped. A decoder that failed keeps returning
// -1; one that completed treats all further input as the next message. Chunk-extension and trailer
// bytes are not counted in total: bound the raw bytes a body may take on the wire, too.
ssize_t decode_chunked(ChunkedDecoder *decoder, char *buf, size_t *len);

} // namespace uvhttp
