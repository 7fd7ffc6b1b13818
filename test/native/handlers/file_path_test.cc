// Unit tests for map_url_path (native/handlers/file_path.h): every traversal encoding of the spec,
// percent-decoding edge cases, control bytes, dotfiles, trailing slashes, the one-allocation promise,
// and every short path over a small alphabet checked against a reference that decodes first and
// splits after. Inputs end right before a guarded page, so a read past them faults.

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "guarded_page.h"
#include "handlers/file_path.h"

using uvhttp::map_url_path;
using uvhttp::PathResult;

// Counts heap allocations, to hold map_url_path to at most one per call.
static size_t g_allocations = 0;
void *operator new(size_t n) {
  ++g_allocations;
  if (void *p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, size_t) noexcept { std::free(p); }

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

GuardedBuffer &guard() {
  static GuardedBuffer g(1 << 16);
  return g;
}

struct Got {
  PathResult result;
  std::string path;
  bool trailing;
};

Got map(const std::string &url, bool allow_dotfiles = false) {
  std::string out = "left over from a previous request";
  bool trailing = false;
  const char *p = guard().place(url);
  PathResult r = map_url_path(std::string_view(p, url.size()), allow_dotfiles, &out, &trailing);
  if (r != PathResult::Ok) {
    check(out.empty(), "output cleared on failure: " + url);
    trailing = false;
  }
  return {r, out, trailing};
}

const char *name(PathResult r) {
  switch (r) {
    case PathResult::Ok: return "Ok";
    case PathResult::BadRequest: return "BadRequest";
    case PathResult::Dotfile: return "Dotfile";
  }
  return "?";
}

std::string show(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", static_cast<unsigned char>(c));
      out += b;
    }
  }
  return out;
}

std::string show(const Got &g) {
  std::string s = name(g.result);
  if (g.result == PathResult::Ok) s += " \"" + show(g.path) + "\"" + (g.trailing ? " trailing" : "");
  return s;
}

void ok(const std::string &url, const std::string &path, bool trailing, bool allow_dotfiles = false) {
  Got g = map(url, allow_dotfiles);
  Got w{PathResult::Ok, path, trailing};
  check(g.result == PathResult::Ok && g.path == path && g.trailing == trailing,
        "\"" + show(url) + "\"" + (allow_dotfiles ? " (dotfiles allowed)" : "") + ": want " + show(w) + ", got " + show(g));
}

void fails(const std::string &url, PathResult want, bool allow_dotfiles = false) {
  Got g = map(url, allow_dotfiles);
  check(g.result == want, "\"" + show(url) + "\"" + (allow_dotfiles ? " (dotfiles allowed)" : "") + ": want " +
                              name(want) + ", got " + show(g));
}

void bad(const std::string &url) {
  fails(url, PathResult::BadRequest, false);
  fails(url, PathResult::BadRequest, true);
}

void test_plain_paths() {
  ok("", "", false);
  ok("/", "", true);
  ok("/index.html", "index.html", false);
  ok("/css/site.css", "css/site.css", false);
  ok("/a/b/c/", "a/b/c", true);
  ok("/a/b/c", "a/b/c", false);
  ok("//", "", true);
  ok("///a///b///", "a/b", true);
  ok("/a//b", "a/b", false);
  ok("/./a/./b/.", "a/b", true);  // a final "." names the directory, like "/a/b/"
  ok("/.", "", true);
  ok("/./", "", true);
  ok("/./.", "", true);
  ok("/a/.", "a", true);
  ok("/a/./", "a", true);
  ok("a/b", "a/b", false);  // without the leading '/', the same segments
  ok("/a+b", "a+b", false);  // '+' is not a space
  ok("/a b", "a b", false);
  ok("/x?y", "x?y", false);  // the caller cut the query; a '?' left is part of the name
  ok("/a#b", "a#b", false);
  ok("/~user/", "~user", true);
  ok("/a:b", "a:b", false);
  ok("/..a", "..a", false, true);
  ok("/a..", "a..", false);
  ok("/a/..b/c", "a/..b/c", false, true);
  ok("/...", "...", false, true);
  ok("/a.b.c", "a.b.c", false);
  ok("/%C3%A9", "\xc3\xa9", false);
  ok("/caf%C3%A9%20menu.txt", "caf\xc3\xa9 menu.txt", false);
  ok("/caf\xc3\xa9", "caf\xc3\xa9", false);  // raw UTF-8 too, taken as is
  ok("/\xff\xfe", "\xff\xfe", false);         // not validated as UTF-8
  ok("/%ff", "\xff", false);
  ok("/%80", "\x80", false);
}

void test_percent_decoding() {
  ok("/%61%62%63", "abc", false);
  ok("/%4a%4A%4b", "JJK", false);  // hex in either case
  ok("/%2F", "", true);            // a decoded '/' separates like a raw one
  ok("/a%2Fb", "a/b", false);
  ok("/a%2fb%2F", "a/b", true);
  ok("/%2F%2F%2Fa", "a", false);
  ok("/%20", " ", false);
  ok("/%2B", "+", false);
  ok("/%25", "%", false);
  ok("/%252e%252e", "%2e%2e", false);  // decoded once: a file literally named %2e%2e
  ok("/%252e%252e/x", "%2e%2e/x", false);
  ok("/%255C", "%5C", false);
  ok("/%2500", "%00", false);
  ok("/a%2e", "a.", false);
  ok("/%2e", "", true);                // "." however spelled
  ok("/%2E/a", "a", false);
  ok("/%3F%23", "?#", false);
  bad("/%");
  bad("/%2");
  bad("/%2g");
  bad("/%g2");
  bad("/%%20");
  bad("/%-1");
  bad("/% 1");
  bad("/%+1");
  bad("/%0x");
  bad("/a%");
  bad("/a%a");
  bad("%");
  bad("/%u002e");
  bad("/%\xc3\xa9");
  bad(std::string("/%\0" "0", 4));
  bad(std::string("/%0\0", 4));
}

void test_traversal() {
  bad("/..");
  bad("/../");
  bad("/../etc/passwd");
  bad("/a/../b");
  bad("/a/..");
  bad("/a/../");
  bad("..");
  bad("../x");
  bad("/%2e%2e");
  bad("/%2E%2E");
  bad("/%2e%2E/x");
  bad("/.%2e");
  bad("/.%2E/");
  bad("/%2e.");
  bad("/%2E./x");
  bad("/..%2f");
  bad("/..%2F");
  bad("/..%2fetc%2fpasswd");
  bad("/a%2f..%2fb");
  bad("/a%2F..");
  bad("/%2e%2e%2f%2e%2e%2fetc/passwd");
  bad("/..\\");
  bad("/..%5c");
  bad("/..%5C..%5Cwindows");
  bad("/\\..\\");
  bad("/a\\b");
  bad("/a%5cb");
  bad("/a%5Cb");
  bad("/./../");
  bad("/.//..//");
  bad("/a/./../b");
  bad("/ok/ok/ok/ok/ok/ok/ok/ok/..");
  // Dotfiles allowed changes nothing about "..".
  fails("/../x", PathResult::BadRequest, true);
  fails("/%2e%2e/x", PathResult::BadRequest, true);
  // BadRequest wins over Dotfile.
  fails("/.git/../x", PathResult::BadRequest);
  fails("/.git/%zz", PathResult::BadRequest);
  fails("/.git/a\\b", PathResult::BadRequest);
  fails("/%zz/.git", PathResult::BadRequest);
  // Look-alikes that are ordinary names: not traversal, and not decoded further.
  ok("/%252e%252e%252f", "%2e%2e%2f", false);
  ok("/%c0%ae%c0%ae", "\xc0\xae\xc0\xae", false);  // overlong UTF-8 dots stay bytes
  ok("/%e2%80%a4%e2%80%a4", "\xe2\x80\xa4\xe2\x80\xa4", false);  // one-dot leaders
  ok("/..%20", ".. ", false, true);
  fails("/..%20", PathResult::Dotfile);
  ok("/%20..", " ..", false);
  ok("/....", "....", false, true);
}

void test_control_bytes() {
  for (int b = 0; b < 0x20; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "%%%02X", b);
    bad("/a" + std::string(hex) + "b");
    bad("/a" + std::string(1, static_cast<char>(b)) + "b");
  }
  bad("/a%7Fb");
  bad("/a%7fb");
  bad("/a\x7f" "b");
  bad("/%00");
  bad(std::string("/\0", 2));
  bad(std::string("/a\0b", 4));
  bad("/a%00.html");
  bad("/index.html%00.jpg");
  bad("/a\r\nb");
  bad("/a%0d%0aSet-Cookie:x");
  bad("/a\tb");
  ok("/a%20b", "a b", false);
  ok("/a%21b", "a!b", false);
  ok("/a%7eb", "a~b", false);
  ok("/a%80b", "a\x80" "b", false);
}

void test_dotfiles() {
  fails("/.git", PathResult::Dotfile);
  fails("/.git/", PathResult::Dotfile);
  fails("/.git/config", PathResult::Dotfile);
  fails("/a/.env", PathResult::Dotfile);
  fails("/a/.well-known/x", PathResult::Dotfile);
  fails("/%2egit", PathResult::Dotfile);
  fails("/%2Egit", PathResult::Dotfile);
  fails("/a%2f.env", PathResult::Dotfile);
  fails("/.a/b/c/d", PathResult::Dotfile);
  fails("/...", PathResult::Dotfile);
  fails("/..a", PathResult::Dotfile);
  fails("/.%20", PathResult::Dotfile);
  ok("/.git/config", ".git/config", false, true);
  ok("/a/.env", "a/.env", false, true);
  ok("/.well-known/", ".well-known", true, true);
  ok("/%2ehtaccess", ".htaccess", false, true);
  ok("/a.b/c.d", "a.b/c.d", false);
  ok("/a/b./c", "a/b./c", false);
  ok("/./a", "a", false);  // "." is dropped, not a dotfile
}

void test_long_and_huge() {
  std::string deep;
  std::string want;
  for (int i = 0; i < 2000; ++i) {
    deep += "/d" + std::to_string(i);
    want += (i ? "/d" : "d") + std::to_string(i);
  }
  ok(deep, want, false);
  ok(deep + "/", want, true);
  bad(deep + "/..");
  ok(std::string(60000, '/'), "", true);
  ok("/" + std::string(60000, 'a'), std::string(60000, 'a'), false);
  std::string encoded;
  for (int i = 0; i < 20000; ++i) encoded += "%61";
  ok("/" + encoded, std::string(20000, 'a'), false);
  std::string dots;
  for (int i = 0; i < 20000; ++i) dots += "/.";
  ok(dots, "", true);
  bad(dots + "/..");
  bad(std::string(60000, '%'));
}

void test_allocations() {
  // A fresh string, a typical path: one allocation (the reserve), none when capacity suffices.
  const std::string urls[] = {"/assets/js/app.0123456789abcdef.js", "/caf%C3%A9%20menu.txt", "/a/./b//c/",
                              "/" + std::string(300, 'x')};
  for (const std::string &url : urls) {
    const char *p = guard().place(url);
    std::string out;
    bool trailing;
    size_t before = g_allocations;
    PathResult r = map_url_path(std::string_view(p, url.size()), false, &out, &trailing);
    size_t first = g_allocations - before;  // read before check() builds its message
    before = g_allocations;
    map_url_path(std::string_view(p, url.size()), false, &out, &trailing);
    size_t second = g_allocations - before;
    check(r == PathResult::Ok && first <= 1, "at most one allocation for " + url);
    check(second == 0, "no allocation when reused for " + url);
  }
  const char *p = guard().place("", 0);
  std::string out;
  bool trailing;
  size_t before = g_allocations;
  map_url_path(std::string_view(p, 0), false, &out, &trailing);
  size_t allocations = g_allocations - before;
  check(allocations == 0, "no allocation for an empty path");
}

// The reference: decode the whole path first, then check bytes, then split and judge segments.
Got reference(const std::string &url, bool allow_dotfiles) {
  Got badreq{PathResult::BadRequest, "", false};
  std::string decoded;
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '%') {
      decoded += url[i];
      continue;
    }
    if (i + 2 >= url.size() || !std::isxdigit(static_cast<unsigned char>(url[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(url[i + 2])))
      return badreq;
    decoded += static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  for (char c : decoded)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return badreq;
  std::vector<std::string> segments(1);
  for (char c : decoded) {
    if (c == '/') segments.emplace_back();
    else segments.back() += c;
  }
  std::string path;
  bool dotfile = false;
  for (const std::string &s : segments) {
    if (s == "..") return badreq;
    if (s.empty() || s == ".") continue;
    if (s[0] == '.' && !allow_dotfiles) dotfile = true;
    path += (path.empty() ? "" : "/") + s;
  }
  if (dotfile) return {PathResult::Dotfile, "", false};
  const std::string &last = segments.back();
  return {PathResult::Ok, path, !url.empty() && (last.empty() || last == ".")};
}

// Every path up to length 6 over an alphabet that can spell every case above.
void test_exhaustive() {
  const char alphabet[] = {'/', '.', '%', '2', 'e', 'F', 'a', '5', 'c'};
  const size_t k = sizeof(alphabet);
  size_t compared = 0, mismatches = 0;
  std::string url;
  for (size_t len = 0; len <= 6; ++len) {
    size_t total = 1;
    for (size_t i = 0; i < len; ++i) total *= k;
    for (size_t n = 0; n < total; ++n) {
      url.clear();
      for (size_t i = 0, m = n; i < len; ++i, m /= k) url += alphabet[m % k];
      for (bool allow : {false, true}) {
        Got g = map(url, allow);
        Got w = reference(url, allow);
        ++compared;
        if ((g.result != w.result || g.path != w.path || g.trailing != w.trailing) && ++mismatches <= 20)
          check(false, "\"" + url + "\"" + (allow ? " (dotfiles allowed)" : "") + ": reference " + show(w) + ", got " + show(g));
      }
    }
  }
  check(mismatches == 0, std::to_string(mismatches) + " of " + std::to_string(compared) + " paths differ from the reference");
}

}  // namespace

int main() {
  test_plain_paths();
  test_percent_decoding();
  test_traversal();
  test_control_bytes();
  test_dotfiles();
  test_long_and_huge();
  test_allocations();
  test_exhaustive();
  return check::summary("file_path");
}
