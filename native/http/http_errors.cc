#include "http/http_errors.h"

namespace uvhttp {

namespace {

constexpr std::string_view k400 = "HTTP/1.1 400 Bad Request\r\n";
constexpr std::string_view k501 = "HTTP/1.1 501 Not Implemented\r\n";
constexpr std::string_view k503 = "HTTP/1.1 503 Service Unavailable\r\n";

// Indexed by HttpError; the static_assert below keeps the two in step.
const ErrorResponse kTable[] = {
    {400, k400, "bad request"},
    {400, k400, "invalid request line"},
    {400, k400, "invalid HTTP version"},
    {400, k400, "invalid header name"},
    {400, k400, "invalid header value"},
    {400, k400, "obsolete header line folding"},
    {400, k400, "bare LF line ending"},
    {400, k400, "invalid content-length"},
    {400, k400, "content-length with transfer-encoding"},
    {400, k400, "invalid transfer-encoding"},
    {400, k400, "invalid chunked body"},
    {400, k400, "missing host header"},
    {400, k400, "duplicate host header"},
    {400, k400, "invalid host header"},
    {400, k400, "invalid request-target form"},
    {400, k400, "invalid path"},
    {403, "HTTP/1.1 403 Forbidden\r\n", "Forbidden"},
    {404, "HTTP/1.1 404 Not Found\r\n", "Not Found"},
    {405, "HTTP/1.1 405 Method Not Allowed\r\n", "Method Not Allowed"},
    {408, "HTTP/1.1 408 Request Timeout\r\n", "request timeout"},
    {413, "HTTP/1.1 413 Payload Too Large\r\n", "payload too large"},
    {414, "HTTP/1.1 414 URI Too Long\r\n", "request target too long"},
    {412, "HTTP/1.1 412 Precondition Failed\r\n", "precondition failed"},
    {416, "HTTP/1.1 416 Range Not Satisfiable\r\n", "range not satisfiable"},
    {417, "HTTP/1.1 417 Expectation Failed\r\n", "unsupported expectation"},
    {431, "HTTP/1.1 431 Request Header Fields Too Large\r\n", "request header too large"},
    {431, "HTTP/1.1 431 Request Header Fields Too Large\r\n", "too many header fields"},
    {500, "HTTP/1.1 500 Internal Server Error\r\n", "Internal Server Error"},
    {501, k501, "unsupported transfer-encoding"},
    {501, k501, "CONNECT is not supported"},
    {505, "HTTP/1.1 505 HTTP Version Not Supported\r\n", "HTTP version not supported"},
    {503, k503, "Service Unavailable"},
    {503, k503, "response timeout"},
    {503, k503, "file unavailable"},
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == static_cast<size_t>(HttpError::Count),
              "every HttpError needs a row in kTable");

} // namespace

const ErrorResponse &error_response(HttpError e) { return kTable[static_cast<size_t>(e)]; }

HttpError error_for(ParseError e) {
  switch (e) {
  case ParseError::BadRequestLine: return HttpError::BadRequestLine;
  case ParseError::BadVersion: return HttpError::BadVersion;
  case ParseError::VersionNotSupported: return HttpError::VersionNotSupported;
  case ParseError::BadHeaderName: return HttpError::BadHeaderName;
  case ParseError::BadHeaderValue: return HttpError::BadHeaderValue;
  case ParseError::ObsFold: return HttpError::ObsFold;
  case ParseError::BareLF: return HttpError::BareLF;
  case ParseError::TooManyHeaders: return HttpError::TooManyHeaders;
  case ParseError::None: break;
  }
  return HttpError::BadRequest;
}

HttpError error_for(MessageError e) {
  switch (e) {
  case MessageError::BadContentLength: return HttpError::BadContentLength;
  case MessageError::ContentLengthAndChunked: return HttpError::ContentLengthAndChunked;
  case MessageError::BadTransferEncoding: return HttpError::BadTransferEncoding;
  case MessageError::UnknownTransferEncoding: return HttpError::NotImplemented;
  case MessageError::MissingHost: return HttpError::MissingHost;
  case MessageError::DuplicateHost: return HttpError::DuplicateHost;
  case MessageError::BadHost: return HttpError::BadHost;
  case MessageError::BadExpect: return HttpError::ExpectationFailed;
  case MessageError::None: break;
  }
  return HttpError::BadRequest;
}

} // namespace uvhttp
