// What a parsed request head means for framing and the connection: body length, chunked or not,
// keep-alive, Expect. Kept apart from the parser (which only checks syntax) and from the connection
// (which only acts on the answer), so the smuggling rules live in one place and are unit-tested.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/parser.h"

namespace uvhttp {

enum class MessageError : uint8_t {
  None = 0,
  BadContentLength,      // 400: not plain digits, overflow, or two different values
  ContentLengthAndChunked, // 400: both Transfer-Encoding and Content-Length
  BadTransferEncoding,   // 400: final coding not chunked, chunked twice, or TE in HTTP/1.0
  UnknownTransferEncoding, // 501: a coding we do not implement
  MissingHost,           // 400: HTTP/1.1 without Host
  DuplicateHost,         // 400: two Host fields
  BadHost,               // 400: a Host value that is not uri-host [ ":" port ] (see authority.h)
  BadExpect,             // 417: an Expect other than 100-continue
};

struct MessageInfo {
  uint64_t content_length; // valid when has_content_length
  bool has_content_length;
  bool chunked;
  bool keep_alive;         // after this response, may the connection carry another request?
  bool expect_continue;    // Expect: 100-continue
  MessageError error;
  const char *host;        // the Host value (valid), or nullptr without one
  size_t host_len;
  bool host_known;         // it was known_host: no grammar check was needed
};

// Reads the framing-related fields of head. Returns false (and sets out->error) when the request must
// be rejected; the connection is then closed after the error response (keep_alive is false then).
// Field names match case-insensitively; repeated and comma-combined fields are read as one list.
// known_host, when given, is a Host value already found valid on this connection: a request that
// carries the same bytes skips the grammar check (clients send one Host on every request).
bool analyze_message(const RequestHead &head, MessageInfo *out, std::string_view known_host = {});

} // namespace uvhttp
