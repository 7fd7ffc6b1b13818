// Which of the four request-target forms of RFC 9112 3.2 a request uses, and whether its method may
// use it. Stateless and separate from the parser, which only checks that the target is visible ASCII,
// so the rules are unit-tested on their own and the connection only acts on the answer.
//
//   origin-form     "/path?query"                  any method except CONNECT
//   absolute-form   "scheme://authority/path?query" any method except CONNECT (RFC 9112 3.2.2: servers
//                                                  MUST accept it); the authority must pass the Host
//                                                  grammar (authority.h), with a non-empty host
//   authority-form  "host:port"                    CONNECT only, and this server refuses CONNECT
//   asterisk-form   "*"                            OPTIONS only
//
// Only hierarchical absolute URIs ("scheme://...") are taken: a target such as "urn:x" or "http:/x"
// names no authority and no path to route, so it is refused like any string in none of the forms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/http_errors.h"

namespace uvhttp {

// No Authority member: CONNECT is the only method that may use that form and it is always refused.
enum class TargetForm : uint8_t { Origin, Absolute, Asterisk };

// Where the part to route sits inside the target. For origin-form that is the whole target; for
// absolute-form it is what follows the authority (empty, or starting with "/" or "?"); for
// asterisk-form it is empty. path_len counts the bytes of it before the first "?"; a path_len of 0
// means an empty path, which RFC 9110 4.2.3 makes equivalent to "/": route "/" then.
struct RequestTarget {
  TargetForm form;
  size_t origin_offset;  // from the start of the target
  size_t origin_len;     // path and query
  size_t path_len;       // path only
};

// The path a request is routed by: the target's path, or "/" for an empty one (RFC 9110 4.2.3).
inline std::string_view route_path(std::string_view target, const RequestTarget &t) {
  return t.path_len == 0 ? std::string_view("/") : target.substr(t.origin_offset, t.path_len);
}

// Classifies target for method (both as received; methods are case-sensitive, so "connect" is an
// ordinary extension method). Returns true and fills *out, or returns false and sets *error to
// ConnectNotSupported (501) for any CONNECT request, whatever its target, or BadTargetForm (400) for
// a target in none of the forms above, an absolute-form with a bad authority, or "*" with a method
// other than OPTIONS. *out is left unspecified on false.
// Origin-form, the common case, costs a byte compare, a length compare and one memchr for "?".
// The forms other than origin-form, and CONNECT; classify_target's out-of-line part.
bool classify_uncommon_target(std::string_view method, std::string_view target, RequestTarget *out,
                              HttpError *error);

// Inline: origin-form with a method that is not CONNECT is nearly every request.
inline bool classify_target(std::string_view method, std::string_view target, RequestTarget *out,
                            HttpError *error) {
  if (target.empty() || target[0] != '/' || (method.size() == 7 && method == "CONNECT"))
    return classify_uncommon_target(method, target, out, error);
  out->form = TargetForm::Origin;
  out->origin_offset = 0;
  out->origin_len = target.size();
  const void *q = std::memchr(target.data(), '?', target.size());
  out->path_len = q ? static_cast<size_t>(static_cast<const char *>(q) - target.data()) : target.size();
  return true;
}

}  // namespace uvhttp
