// Every error response the native core can send, in one table: status line and a short plain-text
// reason. Bodies never carry internals (no stack traces, no echoed input).
#pragma once

#include <cstdint>
#include <string_view>

#include "http/message.h"
#include "http/parser.h"

namespace uvhttp {

enum class HttpError : uint8_t {
  BadRequest,          // generic 400
  BadRequestLine,
  BadVersion,
  BadHeaderName,
  BadHeaderValue,
  ObsFold,
  BareLF,
  BadContentLength,
  ContentLengthAndChunked,
  BadTransferEncoding,
  BadChunkedBody,
  MissingHost,
  DuplicateHost,
  BadHost,
  BadTargetForm,       // a request-target in none of the four forms, or "*" without OPTIONS
  BadPath,             // 400: a path the file handler refuses (bad escape, NUL, "..")
  Forbidden,           // 403: a file the server may not read
  NotFound,            // 404
  MethodNotAllowed,    // 405 (the connection adds Allow)
  RequestTimeout,      // 408
  PayloadTooLarge,     // 413
  UriTooLong,          // 414
  PreconditionFailed,  // 412: If-Match / If-Unmodified-Since failed
  RangeNotSatisfiable, // 416 (the file handler adds Content-Range)
  ExpectationFailed,   // 417
  HeadersTooLarge,     // 431
  TooManyHeaders,      // 431
  InternalError,       // 500
  NotImplemented,      // 501
  ConnectNotSupported, // 501: this server is no proxy, so it tunnels nothing
  VersionNotSupported, // 505
  OutOfMemory,         // 503: a buffer for the request could not be allocated
  ResponseTimeout,     // 503: a handler did not answer within requestTimeout
  FileUnavailable,     // 503: a file could not be opened now (out of descriptors, I/O error)
  Count
};

struct ErrorResponse {
  int status;
  std::string_view status_line; // "HTTP/1.1 400 Bad Request\r\n"
  std::string_view body;        // short reason phrase, sent as text/plain
};

const ErrorResponse &error_response(HttpError e);
HttpError error_for(ParseError e);
HttpError error_for(MessageError e);

} // namespace uvhttp
