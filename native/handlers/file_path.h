// Maps the URL path below a static-files mount to a path relative to the mount's root: percent-
// decoding, then the checks that keep a request inside the root (no "..", no backslash, no control
// bytes) and away from dotfiles. Socket- and filesystem-free; the file handler opens the result below
// the root's directory fd, which is the second line of defence (symlinks), not the first.
//
//   "/css/site.css"          -> "css/site.css"
//   "/a//b/./c/"             -> "a/b/c", trailing slash
//   "/caf%C3%A9%20menu.txt"  -> "café menu.txt"
//   "/%2e%2e/etc/passwd"     -> BadRequest          "/.git/config" -> Dotfile (unless allowed)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uvhttp {

enum class PathResult : uint8_t {
  Ok,
  BadRequest,  // 400: a bad %-escape, NUL or another control byte, DEL, a backslash, a ".." segment
  Dotfile,     // 404: a segment starting with '.' while dotfiles are denied
};

// url_path: the raw (still percent-encoded) bytes after the mount's prefix, query excluded; empty or
// starting with '/'. "%XX" (hex in either case) is decoded once, so "%252e" is the three bytes "%2e";
// '+' stays '+'. After decoding the path is split on '/' (a decoded "%2F" splits too), empty and "."
// segments are dropped, and a ".." segment is a BadRequest whatever its encoding. BadRequest wins
// over Dotfile when a path has both.
//
// On Ok, *out holds the segments joined by '/': no leading, trailing or doubled '/', empty for the
// root itself. *trailing_slash is true when the path names a directory's contents: it ends in '/'
// (or in "/.", which RFC 3986 5.2.4 resolves to the same), so "/" is true and "" is false (the
// caller redirects "" to "/"). On other results *out is empty and *trailing_slash unspecified.
// *out is cleared first and reserved once to url_path's length, which decoding never exceeds.
PathResult map_url_path(std::string_view url_path, bool allow_dotfiles, std::string *out, bool *trailing_slash);

}  // namespace uvhttp
