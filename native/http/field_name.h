// Field names are case-insensitive (RFC 9110 5.1), and so are the tokens the server looks for inside
// field values (connection options, transfer and content codings, range units, 100-continue): a
// client may send "Content-Length", "content-length" or "CONTENT-LENGTH". The server's side of every
// such comparison is a literal it writes in lower case, so only the received side is folded; the
// second argument must therefore be lower case already, or nothing matches it.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/parser.h"

namespace uvhttp {

// tchar (RFC 9110 5.6.2): the bytes a token, such as a field name or a coding, is made of.
inline bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// token equals lower (lower case), ignoring ASCII case. Only letters fold: '-' never matches '\r'.
inline bool token_is(std::string_view token, std::string_view lower) {
  if (token.size() != lower.size()) return false;
  for (size_t i = 0; i < token.size(); ++i) {
    const char c = token[i] >= 'A' && token[i] <= 'Z' ? static_cast<char>(token[i] - 'A' + 'a') : token[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// A received field has this (lower-case) name.
inline bool field_name_is(const HeaderField &f, std::string_view lower_name) {
  return token_is(std::string_view(f.name, f.name_len), lower_name);
}

} // namespace uvhttp
