// Unit tests for the file handler's decisions (native/handlers/static_files.h), without sockets:
// requests are raw bytes through the real parser and request-target classification, the mounts are
// temp directories, and each FileReply is checked field by field (kind, error, exact head text, body
// and parts, omit_body). The wire (Date, Connection, sendfile, backpressure) is the integration
// suite's (test/lib/files/); here: which mount answers, what it answers, and the exact head.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "check.h"
#include "core/router.h"
#include "handlers/static_files.h"
#include "http/parser.h"
#include "http/request_target.h"

using namespace uvhttp;
using RK = FileReply::Kind;

namespace {

std::string top; // the temp directory: roots a/ and b/ below it

const char *kTypes =
    "html\ttext/html; charset=utf-8\n"
    "txt\ttext/plain; charset=utf-8\n"
    "js\tapplication/javascript; charset=utf-8\n"
    "css\ttext/css; charset=utf-8\n"
    "gz\tapplication/gzip\n"
    "bin\tapplication/octet-stream\n";

// mtimes are set to whole seconds so validators are known here: 1e6 s = 0x3b9aca00 ms.
constexpr time_t kHelloMtime = 1000000;
const std::string kHelloTag = "\"d-3b9aca00\"";
const std::string kHelloDate = "Mon, 12 Jan 1970 13:46:40 GMT";
const std::string kTextPlain = "text/plain; charset=utf-8";

void write_file(const std::string &rel, const std::string &data, time_t mtime = 0) {
  const std::string path = top + "/" + rel;
  FILE *f = std::fopen(path.c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
  if (mtime) {
    const struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
    utimensat(AT_FDCWD, path.c_str(), times, 0);
  }
}

// What a reply said, copied out of the handler's buffers.
struct Got {
  RK kind = RK::Pass;
  HttpError error = HttpError::NotFound;
  std::string head;
  std::string body;    // body then every part (file ranges read back), as the wire would carry it
  size_t parts = 0;
  size_t file_parts = 0;
  bool omit_body = false;
  bool parsed = false;

  bool is(RK k) const { return kind == k; }
  bool err(HttpError e) const { return kind == RK::Error && error == e; }
  bool has(std::string_view line) const { return head.find(line) != std::string::npos; }
  std::string status() const { return head.substr(0, head.find("\r\n")); }
  // A header field's value, or "" when absent.
  std::string field(std::string_view name) const {
    const std::string key = "\r\n" + std::string(name) + ": ";
    const size_t at = head.find(key);
    if (at == std::string::npos) return "";
    const size_t from = at + key.size();
    return head.substr(from, head.find("\r\n", from) - from);
  }
};

std::string read_range(const FileRange &r) {
  std::string out(r.length, '\0');
  const ssize_t n = pread(r.file->fd(), &out[0], r.length, static_cast<off_t>(r.offset));
  return n == static_cast<ssize_t>(r.length) ? out : "<short read>";
}

Got ask(StaticFiles &sf, const std::string &method, const std::string &target, const std::string &fields = "",
        uint64_t now = 1000) {
  const std::string raw = method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + fields + "\r\n";
  HeaderField storage[32];
  RequestHead head{};
  head.headers = storage;
  head.num_headers = 32;
  Got g;
  if (parse_request(raw.data(), raw.size(), &head, 0) != static_cast<int>(raw.size())) return g;
  const std::string_view m(head.method, head.method_len);
  RequestTarget t;
  HttpError terr;
  if (!classify_target(m, std::string_view(head.target, head.target_len), &t, &terr)) return g;
  g.parsed = true;
  const std::string_view url(head.target + t.origin_offset, t.origin_len);
  const std::string_view path = t.path_len == 0 ? std::string_view("/") : url.substr(0, t.path_len);
  const bool has_query = url.size() > t.path_len;
  const FileRequest req{method_from(m), path, has_query ? url.substr(t.path_len + 1) : std::string_view(), has_query,
                        &head};
  FileReply reply;
  sf.handle(req, now, &reply);
  g.kind = reply.kind;
  g.error = reply.error;
  g.head = std::string(reply.head);
  g.omit_body = reply.omit_body;
  if (reply.kind == RK::Response) {
    g.body = std::string(reply.body);
    for (const BodyPart &p : *reply.parts) {
      ++g.parts;
      if (p.file.file) {
        ++g.file_parts;
        g.body += read_range(p.file);
      } else {
        g.body += std::string(p.bytes);
      }
    }
    // Every response the handler describes: each line ends in CRLF, and the length it declares is what
    // follows (a 304 declares none).
    check::that(g.head.size() >= 2 && g.head.compare(g.head.size() - 2, 2, "\r\n") == 0, target + ": head ends in CRLF");
    const std::string cl = g.field("Content-Length");
    if (!g.has(" 304 ")) {
      check::that(cl == std::to_string(g.body.size()) || (g.omit_body && !cl.empty()),
                  target + ": Content-Length " + cl + " vs " + std::to_string(g.body.size()) + " body bytes");
    }
  }
  sf.done();
  return g;
}

std::string hello_head(const std::string &status_and_extra = "HTTP/1.1 200 OK\r\n") {
  return status_and_extra + "Content-Type: " + kTextPlain + "\r\nContent-Length: 13\r\nETag: " + kHelloTag +
         "\r\nLast-Modified: " + kHelloDate + "\r\nAccept-Ranges: bytes\r\n";
}

void mount(StaticFiles &sf, const char *prefix, const char *dir, MountOptions o = MountOptions{}) {
  const std::string err = sf.mount(prefix, top + "/" + dir, std::move(o));
  check::that(err.empty(), std::string("mount ") + prefix + " " + dir + ": " + err);
}

// ---------------------------------------------------------------------------------------------------

void which_mount() {
  {
    StaticFiles sf(FileCacheLimits{});
    sf.load_types(kTypes);
    mount(sf, "/", "a");
    mount(sf, "/b", "b");
    Got g = ask(sf, "GET", "/b/hello.txt");
    check::that(g.is(RK::Response) && g.body == "bee hello", "the longer prefix wins though registered later");
    g = ask(sf, "GET", "/hello.txt");
    check::that(g.body == "Hello, world!", "'/' covers the rest");
    g = ask(sf, "GET", "/bx/hello.txt");
    check::that(g.err(HttpError::NotFound), "'/b' does not cover '/bx/...': a's miss, 404");
    g = ask(sf, "GET", "/b/index.html");
    check::that(g.err(HttpError::NotFound), "a miss in '/b' without fallthrough is a 404 (a's index is not tried)");
    g = ask(sf, "GET", "/b");
    check::that(g.status() == "HTTP/1.1 301 Moved Permanently" && g.field("Location") == "/b/",
                "GET of the prefix itself redirects to prefix/");
  }
  {
    StaticFiles sf(FileCacheLimits{});
    sf.load_types(kTypes);
    mount(sf, "/same", "a");
    mount(sf, "/same", "b");
    check::that(ask(sf, "GET", "/same/hello.txt").body == "Hello, world!", "equal prefixes: the first registered");
    check::that(ask(sf, "GET", "/same/only-b.txt").err(HttpError::NotFound),
                "equal prefixes: the first's miss without fallthrough is final");
  }
  {
    StaticFiles sf(FileCacheLimits{});
    sf.load_types(kTypes);
    MountOptions ft;
    ft.fallthrough = true;
    mount(sf, "/same", "a", ft);
    mount(sf, "/same", "b");
    mount(sf, "/", "b", ft);
    check::that(ask(sf, "GET", "/same/only-b.txt").body == "only b", "fallthrough: the next mount answers");
    check::that(ask(sf, "GET", "/same/nothing").err(HttpError::NotFound), "the last mount reached decides: 404");
    check::that(ask(sf, "GET", "/only-b.txt").body == "only b", "a shorter mount still answers its own paths");
    check::that(ask(sf, "GET", "/nothing").is(RK::Pass), "every mount reached fell through: Pass");
    check::that(ask(sf, "POST", "/nothing").is(RK::Pass), "another method on a miss is a miss");
    check::that(ask(sf, "GET", "/.secret").err(HttpError::NotFound), "a dotfile 404 ends the request (no fallthrough)");
    check::that(ask(sf, "GET", "/%zz").err(HttpError::BadPath), "a bad path is a 400 (no fallthrough)");
    check::that(ask(sf, "GET", "/same/..%2fhello.txt").err(HttpError::BadPath), "an encoded .. is a 400");
    check::that(ask(sf, "POST", "/same/hello.txt").err(HttpError::MethodNotAllowed),
                "405 ends the request (b's file is not tried)");
  }
  {
    StaticFiles sf(FileCacheLimits{});
    mount(sf, "/b", "b");
    check::that(ask(sf, "GET", "/elsewhere").is(RK::Pass), "no mount covers the path: Pass");
    check::that(ask(sf, "GET", "/").is(RK::Pass), "'/b' does not cover '/'");
  }
}

void files_and_directories() {
  StaticFiles sf(FileCacheLimits{});
  sf.load_types(kTypes);
  mount(sf, "/", "a");
  MountOptions custom;
  custom.index = "main.html";
  custom.cache_control = "public, max-age=60";
  custom.extra_headers = "X-One: 1\r\nX-Two: 2\r\n";
  mount(sf, "/c", "a", custom);
  MountOptions none;
  none.index = "";
  mount(sf, "/n", "a", none);
  MountOptions plain;
  plain.etag = false;
  plain.last_modified = false;
  plain.allow_dotfiles = true;
  mount(sf, "/p", "a", plain);

  Got g = ask(sf, "GET", "/hello.txt");
  check::that(g.is(RK::Response) && g.head == hello_head() && g.body == "Hello, world!" && !g.omit_body,
              "a file: exact 200 head\n" + g.head);
  check::that(g.parts == 0, "a memory file is the body, without parts");
  g = ask(sf, "HEAD", "/hello.txt");
  check::that(g.head == hello_head() && g.omit_body, "HEAD: the same head, omit_body");
  g = ask(sf, "GET", "/c/hello.txt");
  check::that(g.head == "HTTP/1.1 200 OK\r\nContent-Type: " + kTextPlain + "\r\nContent-Length: 13\r\nETag: " + kHelloTag +
                            "\r\nLast-Modified: " + kHelloDate +
                            "\r\nCache-Control: public, max-age=60\r\nAccept-Ranges: bytes\r\nX-One: 1\r\nX-Two: 2\r\n",
              "cache_control before Accept-Ranges, extra headers last\n" + g.head);
  g = ask(sf, "GET", "/p/hello.txt");
  check::that(g.head == "HTTP/1.1 200 OK\r\nContent-Type: " + kTextPlain + "\r\nContent-Length: 13\r\nAccept-Ranges: bytes\r\n",
              "etag and last_modified off\n" + g.head);
  check::that(ask(sf, "GET", "/noext").field("Content-Type") == "application/octet-stream", "no extension");
  check::that(ask(sf, "GET", "/UPPER.TXT").field("Content-Type") == kTextPlain, "the extension is lower-cased");
  check::that(ask(sf, "GET", "/caf%C3%A9%20menu.txt").body == "menu", "decoded UTF-8 and spaces name the file");
  g = ask(sf, "GET", "/empty.txt");
  check::that(g.field("Content-Length") == "0" && g.body.empty(), "an empty file");

  // Directories and index files.
  check::that(ask(sf, "GET", "/").body == "<html>A</html>", "GET / serves the root's index");
  check::that(ask(sf, "GET", "/dir/").body == "<html>dir</html>", "a directory with '/' serves its index");
  check::that(ask(sf, "GET", "/dir//").body == "<html>dir</html>", "doubled slashes collapse");
  check::that(ask(sf, "GET", "/c/dir/").body == "<main>", "the index option names the file");
  check::that(ask(sf, "GET", "/c/").err(HttpError::NotFound), "no main.html in the root: a miss");
  check::that(ask(sf, "GET", "/n/dir/").err(HttpError::NotFound), "index off: a directory is a miss");
  check::that(ask(sf, "GET", "/dir2/").err(HttpError::NotFound), "a directory without index is a miss");
  check::that(ask(sf, "GET", "/hello.txt/").err(HttpError::NotFound), "a file with a trailing slash is a miss");
  check::that(ask(sf, "GET", "/fifo").err(HttpError::NotFound), "a FIFO is a miss");
  check::that(ask(sf, "GET", "/escape").err(HttpError::NotFound), "a symlink out of the root is a miss");
  check::that(ask(sf, "GET", "/inside").body == "Hello, world!", "a symlink inside the root is followed");

  // 301 to the directory.
  const std::string moved = "HTTP/1.1 301 Moved Permanently\r\nLocation: /dir/\r\nContent-Type: text/plain; "
                            "charset=utf-8\r\nContent-Length: 17\r\n";
  g = ask(sf, "GET", "/dir");
  check::that(g.is(RK::Response) && g.head == moved && g.body == "Moved Permanently" && !g.omit_body,
              "a directory without '/': exact 301\n" + g.head);
  g = ask(sf, "HEAD", "/dir");
  check::that(g.head == moved && g.omit_body, "HEAD: 301 without body");
  check::that(ask(sf, "GET", "/dir?a=1&b=%20").field("Location") == "/dir/?a=1&b=%20", "the query is kept as sent");
  check::that(ask(sf, "GET", "/dir?").field("Location") == "/dir/?", "an empty query is kept");
  check::that(ask(sf, "GET", "//evil.com").field("Location") == "/evil.com/", "leading slashes collapse to one");
  check::that(ask(sf, "GET", "///evil.com?x").field("Location") == "/evil.com/?x", "three of them too");
  check::that(ask(sf, "GET", "/c/dir").field("Location") == "/c/dir/", "the prefix is part of Location");
  check::that(ask(sf, "GET", "/d%69r").field("Location") == "/d%69r/", "the path as the client sent it");
  check::that(ask(sf, "GET", "http://test/dir?q").field("Location") == "/dir/?q", "absolute-form maps by its path");
  g = ask(sf, "GET", "/c/dir");
  check::that(!g.has("X-One"), "a redirect has no file headers");

  // Dotfiles.
  check::that(ask(sf, "GET", "/.secret").err(HttpError::NotFound), "dotfiles denied: 404");
  check::that(ask(sf, "GET", "/%2esecret").err(HttpError::NotFound), "an encoded dot too");
  check::that(ask(sf, "GET", "/.hidden/x.txt").err(HttpError::NotFound), "a dot directory too");
  check::that(ask(sf, "POST", "/.secret").err(HttpError::NotFound), "whatever the method");
  check::that(ask(sf, "GET", "/p/.secret").body == "dot", "dotfiles allowed: served");

  // Methods.
  for (const char *m : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"}) {
    check::that(ask(sf, m, "/hello.txt").err(HttpError::MethodNotAllowed), std::string(m) + " on a file: 405");
    check::that(ask(sf, m, "/dir").err(HttpError::MethodNotAllowed), std::string(m) + " on a directory: 405");
    check::that(ask(sf, m, "/dir/").err(HttpError::MethodNotAllowed), std::string(m) + " on a directory/: 405");
    check::that(ask(sf, m, "/nope").err(HttpError::NotFound), std::string(m) + " on a miss: the miss");
  }
  check::that(ask(sf, "get", "/hello.txt").err(HttpError::MethodNotAllowed), "methods are case-sensitive");
}

void conditionals() {
  StaticFiles sf(FileCacheLimits{});
  sf.load_types(kTypes);
  MountOptions o;
  o.cache_control = "no-cache";
  o.extra_headers = "X-Extra: yes\r\n";
  mount(sf, "/", "a", o);
  const std::string tag = kHelloTag;
  const std::string before = "Mon, 12 Jan 1970 13:46:39 GMT";
  const std::string after = "Mon, 12 Jan 1970 13:46:41 GMT";
  auto q = [&](const std::string &fields, const char *method = "GET") { return ask(sf, method, "/hello.txt", fields); };
  const uint64_t nm0 = sf.stats().not_modified;

  // 1. If-Match.
  check::that(q("If-Match: \"other\"\r\n").err(HttpError::PreconditionFailed), "If-Match mismatch: 412");
  check::that(q("If-Match: W/" + tag + "\r\n").err(HttpError::PreconditionFailed), "If-Match is strong: a weak tag fails");
  check::that(q("If-Match: *\r\n").field("Content-Length") == "13", "If-Match * passes");
  check::that(q("If-Match: \"x\", " + tag + "\r\n").body == "Hello, world!", "If-Match list with the tag passes");
  check::that(q("If-Match: \"x\"\r\nIf-Match: " + tag + "\r\n").body == "Hello, world!", "If-Match split over fields");
  check::that(q("If-Match: " + tag + "\r\nIf-Unmodified-Since: " + before + "\r\n").body == "Hello, world!",
              "If-Unmodified-Since is not evaluated with If-Match");
  check::that(q("If-Match: \"x\"\r\nIf-None-Match: " + tag + "\r\n").err(HttpError::PreconditionFailed),
              "If-Match is evaluated before If-None-Match");
  // 2. If-Unmodified-Since.
  check::that(q("If-Unmodified-Since: " + before + "\r\n").err(HttpError::PreconditionFailed), "IUS before mtime: 412");
  check::that(q("If-Unmodified-Since: " + kHelloDate + "\r\n").body == "Hello, world!", "IUS equal: 200");
  check::that(q("If-Unmodified-Since: yesterday\r\n").body == "Hello, world!", "IUS invalid: ignored");
  check::that(q("If-Unmodified-Since: " + before + "\r\nIf-None-Match: " + tag + "\r\n").err(HttpError::PreconditionFailed),
              "IUS is evaluated before If-None-Match");
  // 3. If-None-Match.
  const std::string not_modified = "HTTP/1.1 304 Not Modified\r\nETag: " + tag + "\r\nLast-Modified: " + kHelloDate +
                                   "\r\nCache-Control: no-cache\r\nX-Extra: yes\r\n";
  Got g = q("If-None-Match: " + tag + "\r\n");
  check::that(g.is(RK::Response) && g.head == not_modified && g.omit_body, "If-None-Match: exact 304\n" + g.head);
  check::that(g.parts == 0, "a 304 has no parts");
  check::that(q("If-None-Match: W/" + tag + "\r\n").head == not_modified, "If-None-Match is weak");
  check::that(q("If-None-Match: *\r\n").head == not_modified, "If-None-Match * matches");
  check::that(q("If-None-Match: \"a\", " + tag + "\r\n").head == not_modified, "a list");
  check::that(q("If-None-Match: \"a\"\r\nIf-None-Match: " + tag + "\r\n").head == not_modified, "over two fields");
  check::that(q("If-None-Match: " + tag + "\r\n", "HEAD").head == not_modified, "HEAD gets the 304 too");
  check::that(q("If-None-Match: \"a\"\r\nIf-Modified-Since: " + after + "\r\n").body == "Hello, world!",
              "If-Modified-Since is not evaluated with If-None-Match");
  // 4. If-Modified-Since.
  check::that(q("If-Modified-Since: " + kHelloDate + "\r\n").head == not_modified, "IMS equal: 304");
  check::that(q("If-Modified-Since: " + after + "\r\n").head == not_modified, "IMS later: 304");
  check::that(q("If-Modified-Since: " + before + "\r\n").body == "Hello, world!", "IMS earlier: 200");
  check::that(q("If-Modified-Since: not a date\r\n").body == "Hello, world!", "IMS invalid: ignored");
  check::that(q("If-None-Match: " + tag + "\r\nRange: bytes=0-0\r\n").head == not_modified, "304 wins over Range");
  check::that(sf.stats().not_modified == nm0 + 9, "every 304 is counted: " + std::to_string(sf.stats().not_modified - nm0));
}

std::string boundary_of(const Got &g) {
  const std::string ct = g.field("Content-Type");
  const std::string key = "multipart/byteranges; boundary=";
  return ct.compare(0, key.size(), key) == 0 ? ct.substr(key.size()) : "";
}

void ranges() {
  FileCacheLimits limits;
  limits.max_file_size = 16;
  StaticFiles sf(limits);
  sf.load_types(kTypes);
  mount(sf, "/", "a");
  auto r = [&](const std::string &range, const std::string &more = "", const char *method = "GET") {
    return ask(sf, method, "/hello.txt", "Range: " + range + "\r\n" + more);
  };
  const std::string tail = "ETag: " + kHelloTag + "\r\nLast-Modified: " + kHelloDate + "\r\nAccept-Ranges: bytes\r\n";

  Got g = r("bytes=0-4");
  check::that(g.head == "HTTP/1.1 206 Partial Content\r\nContent-Type: " + kTextPlain +
                            "\r\nContent-Length: 5\r\nContent-Range: bytes 0-4/13\r\n" + tail,
              "one range: exact 206\n" + g.head);
  check::that(g.body == "Hello" && !g.omit_body, "its bytes");
  check::that(r("bytes=7-").body == "world!" && r("bytes=7-").field("Content-Range") == "bytes 7-12/13", "a-");
  check::that(r("bytes=-6").body == "world!", "-n");
  check::that(r("bytes=5-100").field("Content-Range") == "bytes 5-12/13", "b past the end is clipped");
  check::that(r("bytes=-100").field("Content-Range") == "bytes 0-12/13", "-n past the start is the whole file, as 206");
  check::that(r("BYTES=0-0").body == "H", "the unit is case-insensitive");
  check::that(r("bytes=0-1, 20-30").field("Content-Range") == "bytes 0-1/13", "unsatisfiable ranges are dropped");

  // 416.
  g = r("bytes=13-");
  const ErrorResponse &e416 = error_response(HttpError::RangeNotSatisfiable);
  check::that(g.is(RK::Response) &&
                  g.head == std::string(e416.status_line) + "Content-Range: bytes */13\r\nContent-Type: text/plain; " +
                                "charset=utf-8\r\nContent-Length: " + std::to_string(e416.body.size()) + "\r\n" &&
                  g.body == e416.body,
              "past the end: exact 416\n" + g.head);
  check::that(r("bytes=-0").field("Content-Range") == "bytes */13", "-0: 416");
  check::that(ask(sf, "GET", "/empty.txt", "Range: bytes=0-0\r\n").field("Content-Range") == "bytes */0",
              "any range of an empty file: 416");

  // Ignored: a full 200.
  for (const char *bad : {"bytes=a-b", "items=0-1", "bytes=5-1", "bytes = 0-1", "bytes=0-12,0-12", "bytes=0-7,6-12"}) {
    g = r(bad);
    check::that(g.head == hello_head() && g.body == "Hello, world!", std::string("Range ignored: ") + bad);
  }
  check::that(r("bytes=0-6,6-11").has(" 206 "), "overlapping ranges whose lengths fit the size are served");
  std::string sixteen = "bytes=0-0";
  for (int i = 1; i < 16; ++i) sixteen += "," + std::to_string(i * 2) + "-" + std::to_string(i * 2);
  g = ask(sf, "GET", "/big.bin", "Range: " + sixteen + "\r\n");
  check::that(g.has(" 206 ") && g.file_parts == 16, "16 ranges are served");
  g = ask(sf, "GET", "/big.bin", "Range: " + sixteen + ",40-40\r\n");
  check::that(g.has(" 200 ") && g.field("Content-Length") == "100", "17 ranges are ignored: 200");
  g = r("bytes=0-4", "", "HEAD");
  check::that(g.head == hello_head() && g.omit_body, "HEAD ignores Range");

  // If-Range.
  check::that(r("bytes=0-4", "If-Range: " + kHelloTag + "\r\n").body == "Hello", "If-Range with the etag: 206");
  check::that(r("bytes=0-4", "If-Range: \"other\"\r\n").body == "Hello, world!", "If-Range another etag: 200");
  check::that(r("bytes=0-4", "If-Range: W/" + kHelloTag + "\r\n").body == "Hello, world!", "If-Range weak: 200");
  check::that(r("bytes=0-4", "If-Range: " + kHelloDate + "\r\n").body == "Hello", "If-Range the date: 206");
  check::that(r("bytes=0-4", "If-Range: Mon, 12 Jan 1970 13:46:41 GMT\r\n").body == "Hello, world!",
              "If-Range a later date: 200");
  check::that(r("bytes=99-", "If-Range: \"other\"\r\n").body == "Hello, world!", "a failed If-Range avoids even a 416");

  // multipart/byteranges from memory, parts in the order asked.
  g = r("bytes=7-8, 0-1,-2");
  const std::string b = boundary_of(g);
  check::that(b.size() > 8, "a boundary: " + b);
  const std::string part_type = "Content-Type: " + kTextPlain + "\r\n";
  const std::string expect = "--" + b + "\r\n" + part_type + "Content-Range: bytes 7-8/13\r\n\r\nwo\r\n" +
                             "--" + b + "\r\n" + part_type + "Content-Range: bytes 0-1/13\r\n\r\nHe\r\n" +
                             "--" + b + "\r\n" + part_type + "Content-Range: bytes 11-12/13\r\n\r\nd!\r\n" +
                             "--" + b + "--\r\n";
  check::that(g.body == expect, "multipart body, exact:\n" + g.body);
  check::that(g.head == "HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=" + b +
                            "\r\nContent-Length: " + std::to_string(expect.size()) + "\r\n" + tail,
              "multipart head, exact Content-Length\n" + g.head);
  check::that(r("bytes=0-0,0-0").has(" 206 ") && boundary_of(r("bytes=0-0,0-0")) == b,
              "the boundary is the server's, the same each time");

  // From an open file: the same layout with file parts.
  std::string big;
  for (int i = 0; i < 100; ++i) big.push_back(static_cast<char>('A' + i % 26));
  const uint64_t sf0 = sf.stats().sendfile_responses;
  g = ask(sf, "GET", "/big.bin");
  check::that(g.field("Content-Length") == "100" && g.file_parts == 1 && g.body == big, "a large file: one file part");
  g = ask(sf, "GET", "/big.bin", "Range: bytes=10-19,-5\r\n");
  const std::string bb = boundary_of(g);
  const std::string bin = "Content-Type: application/octet-stream\r\n";
  const std::string expect_big = "--" + bb + "\r\n" + bin + "Content-Range: bytes 10-19/100\r\n\r\n" +
                                 big.substr(10, 10) + "\r\n--" + bb + "\r\n" + bin +
                                 "Content-Range: bytes 95-99/100\r\n\r\n" + big.substr(95) + "\r\n--" + bb + "--\r\n";
  check::that(g.file_parts == 2 && g.body == expect_big, "multipart from an open file:\n" + g.body);
  check::that(g.field("Content-Length") == std::to_string(expect_big.size()), "its exact Content-Length");
  g = ask(sf, "GET", "/big.bin", "Range: bytes=50-50\r\n");
  check::that(g.file_parts == 1 && g.body == "Y" && g.field("Content-Range") == "bytes 50-50/100", "one byte of it");
  g = ask(sf, "HEAD", "/big.bin");
  check::that(g.parts == 0 && g.omit_body && g.field("Content-Length") == "100", "HEAD of a large file: no parts");
  check::that(sf.stats().sendfile_responses == sf0 + 3, "GETs from the fd are counted, HEAD is not");
}

void precompressed() {
  StaticFiles sf(FileCacheLimits{});
  sf.load_types(kTypes);
  mount(sf, "/", "a");
  MountOptions gz_first;
  gz_first.precompressed = {ContentCoding::Gzip, ContentCoding::Br};
  mount(sf, "/g", "a", gz_first);
  MountOptions off;
  off.precompressed = {};
  mount(sf, "/o", "a", off);
  auto ae = [&](const std::string &value, const char *path = "/app.js", const std::string &more = "") {
    return ask(sf, "GET", path, (value.empty() ? "" : "Accept-Encoding: " + value + "\r\n") + more);
  };
  const std::string js = "Content-Type: application/javascript; charset=utf-8\r\n";

  Got g = ae("");
  check::that(g.head == "HTTP/1.1 200 OK\r\n" + js + "Content-Length: 11\r\nETag: \"b-77359400\"\r\nLast-Modified: " +
                            "Sat, 24 Jan 1970 03:33:20 GMT\r\nAccept-Ranges: bytes\r\nVary: Accept-Encoding\r\n",
              "identity with siblings on disk: Vary, exact\n" + g.head);
  check::that(g.body == "var a = 1;\n", "the file itself");
  g = ae("br, gzip");
  check::that(g.head == "HTTP/1.1 200 OK\r\n" + js + "Content-Length: 2\r\nETag: \"2-b2d05e00-br\"\r\nLast-Modified: " +
                            "Wed, 04 Feb 1970 17:20:00 GMT\r\nAccept-Ranges: bytes\r\nVary: Accept-Encoding\r\n" +
                            "Content-Encoding: br\r\n",
              "br chosen: the variant's size, etag and date, the original's type\n" + g.head);
  check::that(g.body == "BR", "the .br bytes");
  check::that(ae("gzip, br").field("Content-Encoding") == "br", "a q tie goes to the first in precompressed");
  check::that(ae("gzip, br", "/g/app.js").field("Content-Encoding") == "gzip", "with gzip listed first, gzip");
  g = ae("gzip");
  check::that(g.field("Content-Encoding") == "gzip" && g.field("ETag") == "\"4-ee6b2800-gz\"" && g.body == "GZIP",
              "gzip: etag ends in -gz");
  check::that(ae("x-gzip").field("Content-Encoding") == "gzip", "x-gzip is gzip");
  check::that(ae("GZIP").field("Content-Encoding") == "gzip", "codings are case-insensitive");
  check::that(ae("br;q=0, gzip").field("Content-Encoding") == "gzip", "q=0 refuses br");
  check::that(ae("gzip;q=0.9, br;q=0.5").field("Content-Encoding") == "gzip", "the higher q wins");
  check::that(ae("*").field("Content-Encoding") == "br", "* covers both");
  check::that(ae("*;q=0, gzip").field("Content-Encoding") == "gzip", "*;q=0 leaves the named one");
  g = ae("identity");
  check::that(g.field("Content-Encoding").empty() && g.field("Vary") == "Accept-Encoding" && g.body == "var a = 1;\n",
              "identity only: the file, still with Vary");
  g = ae("br;q=0, gzip;q=0");
  check::that(g.body == "var a = 1;\n" && g.has(" 200 "), "everything refused: identity, never 406");
  check::that(ae("zstd").field("Content-Encoding").empty(), "zstd is not enabled");
  check::that(ae("br", "/o/app.js").field("Content-Encoding").empty() && !ae("", "/o/app.js").has("Vary"),
              "precompressed off: no variant, no Vary");
  g = ae("br", "/plain.css");
  check::that(g.field("Content-Encoding").empty() && !g.has("Vary"), "no sibling on disk: no Vary");
  g = ae("gzip", "/app.js.gz");
  check::that(g.field("Content-Type") == "application/gzip" && g.field("Content-Encoding").empty() && g.body == "GZIP" &&
                  !g.has("Vary"),
              "the .gz itself: its own type, no Content-Encoding");

  // Conditionals and Range apply to the chosen representation.
  g = ae("br", "/app.js", "If-None-Match: \"2-b2d05e00-br\"\r\n");
  check::that(g.head == "HTTP/1.1 304 Not Modified\r\nETag: \"2-b2d05e00-br\"\r\nLast-Modified: Wed, 04 Feb 1970 "
                        "17:20:00 GMT\r\nVary: Accept-Encoding\r\n",
              "304 on the variant's etag, with Vary\n" + g.head);
  check::that(ae("", "/app.js", "If-None-Match: \"2-b2d05e00-br\"\r\n").body == "var a = 1;\n",
              "the variant's etag does not match the identity file");
  check::that(ae("", "/app.js", "If-None-Match: \"b-77359400\"\r\n").field("Vary") == "Accept-Encoding",
              "an identity 304 carries Vary too");
  g = ae("br", "/app.js", "Range: bytes=1-\r\n");
  check::that(g.has(" 206 ") && g.body == "R" && g.field("Content-Range") == "bytes 1-1/2" &&
                  g.field("Content-Encoding") == "br" && g.field("Vary") == "Accept-Encoding" &&
                  g.field("Content-Type") == "application/javascript; charset=utf-8",
              "Range applies to the variant\n" + g.head);
  g = ae("", "/app.js", "Range: bytes=1-\r\n");
  check::that(g.field("Content-Range") == "bytes 1-10/11" && g.field("Vary") == "Accept-Encoding",
              "an identity 206 has Vary");
  check::that(ae("br", "/app.js", "Range: bytes=0-0\r\nIf-Range: \"b-77359400\"\r\n").body == "BR",
              "If-Range with the identity etag does not match the variant: 200 of the variant");

  // A sibling that appears later is seen when the entry is re-checked, and the cached head follows.
  g = ask(sf, "GET", "/late.css", "", 1000);
  check::that(!g.has("Vary"), "late.css without sibling: no Vary");
  write_file("a/late.css.gz", "LATE");
  check::that(!ask(sf, "GET", "/late.css", "Accept-Encoding: gzip\r\n", 1500).has("Vary"), "not yet: within valid_ms");
  g = ask(sf, "GET", "/late.css", "", 2000);
  check::that(g.field("Vary") == "Accept-Encoding" && g.body == "late", "after valid_ms: Vary on the identity head");
  check::that(ask(sf, "GET", "/late.css", "Accept-Encoding: gzip\r\n", 2000).body == "LATE", "and the variant is served");
}

void spa() {
  StaticFiles sf(FileCacheLimits{});
  sf.load_types(kTypes);
  MountOptions s;
  s.spa = "index.html";
  mount(sf, "/s", "a", s);
  MountOptions sft = s;
  sft.fallthrough = true;
  sft.spa = "no-such.html";
  mount(sf, "/t", "a", sft);
  const std::string html = "Accept: text/html,application/xhtml+xml\r\n";
  Got g = ask(sf, "GET", "/s/route/42", html);
  check::that(g.body == "<html>A</html>" && g.field("Content-Type") == "text/html; charset=utf-8",
              "an HTML navigation that misses gets the spa file");
  check::that(g.field("ETag").size() > 2, "with its own validators");
  check::that(ask(sf, "GET", "/s/route/42", "Accept: TEXT/HTML\r\n").body == "<html>A</html>", "Accept case-insensitive");
  check::that(ask(sf, "GET", "/s/route/42").err(HttpError::NotFound), "without Accept text/html: 404");
  check::that(ask(sf, "GET", "/s/route/42", "Accept: application/json\r\n").err(HttpError::NotFound), "JSON: 404");
  g = ask(sf, "HEAD", "/s/route/42", html);
  check::that(g.body == "<html>A</html>" && g.omit_body && g.field("Content-Length") == "14", "HEAD: the spa head");
  check::that(ask(sf, "POST", "/s/route/42", html).err(HttpError::NotFound), "POST: no spa");
  check::that(ask(sf, "GET", "/s/.secret", html).err(HttpError::NotFound), "a dotfile is not spa'd");
  check::that(ask(sf, "GET", "/s/%00", html).err(HttpError::BadPath), "a bad path is not spa'd");
  check::that(ask(sf, "POST", "/s/hello.txt", html).err(HttpError::MethodNotAllowed), "405 is not spa'd");
  check::that(ask(sf, "GET", "/s/hello.txt", html).body == "Hello, world!", "an existing file is itself");
  check::that(ask(sf, "GET", "/s/hello.txt/", html).body == "<html>A</html>", "a file with '/' is a miss: spa");
  check::that(ask(sf, "GET", "/s/dir2/", html).body == "<html>A</html>", "a directory without index: spa");
  check::that(ask(sf, "GET", "/s/dir", html).field("Location") == "/s/dir/", "a directory still redirects");
  const std::string tag = ask(sf, "GET", "/s/x", html).field("ETag");
  g = ask(sf, "GET", "/s/x", html + "If-None-Match: " + tag + "\r\n");
  check::that(g.has(" 304 ") && g.omit_body, "conditional requests apply to the spa file");
  check::that(ask(sf, "GET", "/s/x", html + "Range: bytes=1-4\r\n").body == "html", "so does Range");
  check::that(ask(sf, "GET", "/t/x", html).is(RK::Pass), "a missing spa file: the miss falls through");
}

void stats() {
  FileCacheLimits limits;
  limits.max_file_size = 16;
  StaticFiles sf(limits);
  sf.load_types(kTypes);
  mount(sf, "/", "a");
  ask(sf, "GET", "/hello.txt");
  ask(sf, "GET", "/hello.txt", "Range: bytes=0-1\r\n");
  ask(sf, "GET", "/hello.txt", "Range: bytes=0-1,3-4\r\n");
  ask(sf, "HEAD", "/hello.txt");
  ask(sf, "GET", "/big.bin");
  ask(sf, "GET", "/big.bin", "Range: bytes=0-1\r\n");
  ask(sf, "GET", "/hello.txt", "If-None-Match: *\r\n");
  ask(sf, "GET", "/hello.txt", "Range: bytes=99-\r\n");
  ask(sf, "GET", "/dir");
  ask(sf, "GET", "/nope");
  const FileStats &s = sf.stats();
  check::that(s.memory_hits == 3, "memory hits: GET, 206, multipart (not HEAD, 304, 416): " + std::to_string(s.memory_hits));
  check::that(s.sendfile_responses == 2, "sendfile responses: " + std::to_string(s.sendfile_responses));
  check::that(s.not_modified == 1, "304s: " + std::to_string(s.not_modified));
  check::that(sf.cache().entries() >= 4 && sf.cache().open_files() == 1,
              "the cache holds the entries (misses included) and big.bin's fd");
}

// After done() the reply has been queued (the queue holds its own references), so an entry evicted by
// that trim must not keep its descriptor open through the handler's reply buffers.
void descriptors_after_done() {
  FileCacheLimits limits;
  limits.max_file_size = 16;
  limits.max_entries = 1; // big.bin's sibling look-ups (.br, .gz) are newer: big.bin goes first
  StaticFiles sf(limits);
  sf.load_types(kTypes);
  mount(sf, "/", "a");
  Got g = ask(sf, "GET", "/big.bin"); // ask() calls done()
  check::that(g.file_parts == 1, "big.bin is sent from its descriptor");
  check::that(sf.cache().entries() == 1 && !sf.cache().open_files(),
              "after done() an evicted entry's descriptor is closed (open files: " +
                  std::to_string(sf.cache().open_files()) + ")");
}

} // namespace

int main() {
  char tmpl[] = "/tmp/uvhttp-static-files-XXXXXX";
  top = mkdtemp(tmpl);
  for (const char *d : {"a", "a/dir", "a/dir2", "a/evil.com", "a/.hidden", "b", "outside"})
    mkdir((top + "/" + d).c_str(), 0755);
  write_file("a/index.html", "<html>A</html>");
  write_file("a/hello.txt", "Hello, world!", kHelloMtime);
  write_file("a/UPPER.TXT", "upper");
  write_file("a/noext", "raw");
  write_file("a/empty.txt", "");
  write_file("a/caf\xC3\xA9 menu.txt", "menu");
  write_file("a/dir/index.html", "<html>dir</html>");
  write_file("a/dir/main.html", "<main>");
  write_file("a/.secret", "dot");
  write_file("a/.hidden/x.txt", "hidden");
  write_file("a/app.js", "var a = 1;\n", 2000000);
  write_file("a/app.js.br", "BR", 3000000);
  write_file("a/app.js.gz", "GZIP", 4000000);
  write_file("a/plain.css", "p{}");
  write_file("a/late.css", "late");
  std::string big;
  for (int i = 0; i < 100; ++i) big.push_back(static_cast<char>('A' + i % 26));
  write_file("a/big.bin", big);
  write_file("b/hello.txt", "bee hello");
  write_file("b/only-b.txt", "only b");
  write_file("outside/secret", "OUTSIDE");
  symlink("../outside/secret", (top + "/a/escape").c_str());
  symlink("hello.txt", (top + "/a/inside").c_str());
  mkfifo((top + "/a/fifo").c_str(), 0644);

  {
    StaticFiles sf(FileCacheLimits{});
    check::that(!sf.mount("/x", top + "/no-such-dir", MountOptions{}).empty(), "mounting a missing root fails");
    check::that(sf.empty(), "and adds no mount");
  }
  which_mount();
  files_and_directories();
  conditionals();
  ranges();
  precompressed();
  spa();
  stats();
  descriptors_after_done();

  std::system(("rm -rf '" + top + "'").c_str());
  return check::summary("static_files");
}
