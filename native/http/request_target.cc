// Request-target forms (see request_target.h).

#include "http/request_target.h"

#include <cstring>

#include "http/authority.h"

namespace uvhttp {
namespace {

inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

inline bool is_scheme_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

size_t path_length(const char *p, size_t n) {
  const void *q = std::memchr(p, '?', n);
  return q != nullptr ? static_cast<size_t>(static_cast<const char *>(q) - p) : n;
}

// scheme "://" authority path-abempty [ "?" query ]. Only the scheme and the authority are checked:
// the rest is routed like an origin-form target, which is not checked beyond the parser's visible
// ASCII either.
bool classify_absolute(std::string_view t, RequestTarget *out) {
  size_t n = t.size();
  if (n == 0 || !is_alpha(t[0])) return false;
  size_t i = 1;
  while (i < n && is_scheme_char(t[i])) ++i;
  if (n - i < 3 || t.compare(i, 3, "://") != 0) return false;
  size_t authority = i + 3;
  size_t end = authority;
  while (end < n && t[end] != '/' && t[end] != '?') ++end;
  // RFC 9110 4.2.1 makes an http URI with an empty host invalid; no other scheme is worth routing
  // without one either.
  if (end == authority || t[authority] == ':') return false;
  if (!is_valid_authority(t.data() + authority, end - authority)) return false;
  out->form = TargetForm::Absolute;
  out->origin_offset = end;
  out->origin_len = n - end;
  out->path_len = path_length(t.data() + end, n - end);
  return true;
}

bool reject(HttpError *error, HttpError e) {
  *error = e;
  return false;
}

}  // namespace

bool classify_uncommon_target(std::string_view method, std::string_view target, RequestTarget *out,
                              HttpError *error) {
  // Refused before the target is looked at: this server is not a proxy and tunnels nothing, so the
  // answer does not depend on where the tunnel would have gone.
  if (method == "CONNECT") return reject(error, HttpError::ConnectNotSupported);
  // Origin-form with any other method was answered inline (request_target.h).
  if (target == "*") {
    if (method != "OPTIONS") return reject(error, HttpError::BadTargetForm);
    *out = RequestTarget{TargetForm::Asterisk, 0, 0, 0};
    return true;
  }
  if (classify_absolute(target, out)) return true;
  return reject(error, HttpError::BadTargetForm);
}

}  // namespace uvhttp
