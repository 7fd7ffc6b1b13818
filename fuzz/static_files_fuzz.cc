// libFuzzer target for the file handler (native/handlers/static_files.cc) and what it stands on (URL
// path mapping, the open-file cache, Range, conditionals, content codings): the input is a request
// head, parsed by the real parser; when it parses, the handler answers it against a small fixed tree
// mounted twice, "/" (fallthrough) and "/s" (spa). Invariants on every reply:
//   - no byte of the file outside the root (or of the denied dotfile) is in the head, body or parts,
//     and no file part sends from a descriptor of either;
//   - a head ends in CRLF and has no bare LF;
//   - Content-Length equals the body plus the parts (unless omit_body, or a 304);
//   - a 206's ranges lie within the file, and each part's data is as long as its Content-Range says;
//   - between requests the cache holds its entry and descriptor limits.
// Build and run with scripts/fuzz.sh.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/router.h"
#include "handlers/static_files.h"
#include "http/parser.h"
#include "http/request_target.h"

using namespace uvhttp;

namespace {

constexpr std::string_view kOutsideMarker = "OUTSIDE-7f3a9c-MARKER";
constexpr std::string_view kDotMarker = "DOTFILE-51be02-MARKER";

struct Fixture {
  std::string top;
  struct stat outside {};
  struct stat dotfile {};
  StaticFiles *files = nullptr;
  uint64_t now = 1;
};

Fixture *fixture;

void write_file(const std::string &path, const std::string &data) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

void remove_tree() {
  if (fixture) std::system(("rm -rf '" + fixture->top + "'").c_str());
}

Fixture *build() {
  auto *fx = new Fixture;
  char tmpl[] = "/tmp/uvhttp-files-fuzz-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  fx->top = tmpl;
  const std::string root = fx->top + "/root";
  for (const char *d : {"/root", "/root/dir", "/root/empty-dir", "/outside"}) mkdir((fx->top + d).c_str(), 0755);
  write_file(root + "/index.html", "<!doctype html><title>app</title>");
  write_file(root + "/hello.txt", "Hello, world!");
  write_file(root + "/app.js", "console.log('plain javascript, long enough to range over');\n");
  write_file(root + "/app.js.br", "brotli bytes");
  write_file(root + "/app.js.gz", "gzip bytes, a few more");
  write_file(root + "/empty.txt", "");
  write_file(root + "/dir/index.html", "<p>dir index</p>");
  write_file(root + "/dir/a b.txt", "space");
  std::string big;
  for (int i = 0; i < 300; ++i) big.push_back(static_cast<char>('a' + i % 26));
  write_file(root + "/big.bin", big); // above max_file_size: sent from its descriptor
  write_file(root + "/.secret", std::string(kDotMarker));
  write_file(fx->top + "/outside/secret.txt", std::string(kOutsideMarker));
  write_file(fx->top + "/outside/big.txt", std::string(kOutsideMarker) + std::string(200, 'o'));
  symlink("../outside/secret.txt", (root + "/escape.txt").c_str());
  symlink("../outside", (root + "/escape-dir").c_str());
  symlink((fx->top + "/outside/big.txt").c_str(), (root + "/escape-abs").c_str());
  symlink("hello.txt", (root + "/inside.txt").c_str());
  if (stat((fx->top + "/outside/secret.txt").c_str(), &fx->outside) != 0) std::abort();
  if (stat((root + "/.secret").c_str(), &fx->dotfile) != 0) std::abort();

  FileCacheLimits limits;
  limits.max_entries = 12;
  limits.max_open_files = 2;
  limits.max_bytes = 256;
  limits.max_file_size = 64;
  limits.valid_ms = 50;
  fx->files = new StaticFiles(limits);
  fx->files->load_types("html\ttext/html; charset=utf-8\ntxt\ttext/plain; charset=utf-8\n"
                        "js\tapplication/javascript; charset=utf-8\ngz\tapplication/gzip\n");
  MountOptions all;
  all.fallthrough = true;
  all.cache_control = "public, max-age=60";
  all.extra_headers = "X-Files: 1\r\n";
  MountOptions spa;
  spa.spa = "index.html";
  spa.precompressed = {ContentCoding::Gzip, ContentCoding::Br, ContentCoding::Zstd};
  if (!fx->files->mount("/", root, all).empty() || !fx->files->mount("/s", root, spa).empty()) std::abort();
  return fx;
}

[[noreturn]] void fail(const char *what, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool leaks(std::string_view bytes) {
  return bytes.find(kOutsideMarker) != std::string_view::npos || bytes.find(kDotMarker) != std::string_view::npos;
}

// The value of a field in a rendered head, or npos as the position when absent.
std::string_view field(std::string_view head, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ": ";
  const size_t at = head.find(key);
  if (at == std::string_view::npos) return {};
  const size_t from = at + key.size();
  return head.substr(from, head.find("\r\n", from) - from);
}

bool parse_u64(std::string_view s, uint64_t *out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return true;
}

// "bytes a-b/size" with a <= b < size; returns b - a + 1 and the size, or false.
bool content_range(std::string_view v, uint64_t *length, uint64_t *size) {
  if (v.substr(0, 6) != "bytes ") return false;
  v.remove_prefix(6);
  const size_t dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return false;
  uint64_t a, b;
  if (!parse_u64(v.substr(0, dash), &a) || !parse_u64(v.substr(dash + 1, slash - dash - 1), &b) ||
      !parse_u64(v.substr(slash + 1), size))
    return false;
  if (a > b || b >= *size) return false;
  *length = b - a + 1;
  return true;
}

void check_reply(const FileReply &r) {
  if (r.kind != FileReply::Kind::Response) return;
  if (!r.parts) fail("a Response without parts", r.head);
  const std::string_view head = r.head;
  if (head.size() < 2 || head.substr(head.size() - 2) != "\r\n") fail("head does not end in CRLF", head);
  for (size_t i = 0; i < head.size(); ++i)
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) fail("bare LF in head", head);
  if (head.find("\r\n\r\n") != std::string_view::npos) fail("an empty line inside the head", head);
  // A 301's Location echoes the request's own path and query: client bytes, not file bytes.
  std::string file_fields(head);
  const size_t location = file_fields.find("\r\nLocation: ");
  if (location != std::string::npos) file_fields.erase(location, file_fields.find("\r\n", location + 2) - location);
  if (leaks(file_fields) || leaks(r.body)) fail("outside bytes in head or body", head);

  uint64_t total = r.body.size();
  for (const BodyPart &p : *r.parts) {
    if (p.file.file) {
      struct stat st;
      if (fstat(p.file.file->fd(), &st) != 0) fail("a file part with a closed descriptor", head);
      if ((st.st_dev == fixture->outside.st_dev && st.st_ino == fixture->outside.st_ino) ||
          (st.st_dev == fixture->dotfile.st_dev && st.st_ino == fixture->dotfile.st_ino))
        fail("a file part from the outside or dot file", head);
      if (p.file.length == 0 || p.file.offset + p.file.length > static_cast<uint64_t>(st.st_size))
        fail("a file part past the end of its file", head);
      std::string got(p.file.length, '\0');
      if (pread(p.file.file->fd(), &got[0], got.size(), static_cast<off_t>(p.file.offset)) > 0 && leaks(got))
        fail("outside bytes in a file part", head);
      total += p.file.length;
    } else {
      if (leaks(p.bytes)) fail("outside bytes in a memory part", head);
      total += p.bytes.size();
    }
  }

  const bool not_modified = head.substr(0, 13) == "HTTP/1.1 304 ";
  if (!r.omit_body && !not_modified) {
    uint64_t declared;
    if (!parse_u64(field(head, "Content-Length"), &declared)) fail("no Content-Length", head);
    if (declared != total) fail("Content-Length is not the body plus the parts", head);
  }
  if (not_modified && !r.omit_body) fail("a 304 with a body", head);

  if (head.substr(0, 13) == "HTTP/1.1 206 " && !r.omit_body) {
    const std::string_view single = field(head, "Content-Range");
    uint64_t length, size;
    if (!single.empty()) {
      if (!content_range(single, &length, &size)) fail("a bad Content-Range", head);
      if (length != total) fail("the part is not as long as its Content-Range", head);
    } else {
      // multipart: part heads (each with a Content-Range), data, "\r\n", ..., the closing delimiter.
      const auto &parts = *r.parts;
      if (parts.size() < 4 || (parts.size() - 1) % 3 != 0) fail("multipart layout", head);
      for (size_t i = 0; i + 1 < parts.size(); i += 3) {
        const std::string_view ph = parts[i].bytes;
        const size_t at = ph.find("\r\nContent-Range: ");
        if (at == std::string_view::npos) fail("a part without Content-Range", ph);
        const size_t from = at + 17;
        if (!content_range(ph.substr(from, ph.find("\r\n", from) - from), &length, &size))
          fail("a part with a bad Content-Range", ph);
        const uint64_t data = parts[i + 1].file.file ? parts[i + 1].file.length : parts[i + 1].bytes.size();
        if (data != length) fail("a part's data is not as long as its Content-Range", ph);
        if (parts[i + 2].bytes != "\r\n") fail("a part not closed by CRLF", ph);
      }
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fixture) {
    fixture = build();
    std::atexit(remove_tree);
  }
  HeaderField fields[64];
  RequestHead head{};
  head.headers = fields;
  head.num_headers = 64;
  const char *buf = reinterpret_cast<const char *>(data);
  if (parse_request(buf, size, &head, 0) <= 0) return 0;
  const std::string_view method(head.method, head.method_len);
  RequestTarget t;
  HttpError error;
  if (!classify_target(method, std::string_view(head.target, head.target_len), &t, &error)) return 0;
  const std::string_view url(head.target + t.origin_offset, t.origin_len);
  const std::string_view path = t.path_len == 0 ? std::string_view("/") : url.substr(0, t.path_len);
  const bool has_query = url.size() > t.path_len;
  const FileRequest request{method_from(method), path, has_query ? url.substr(t.path_len + 1) : std::string_view(),
                            has_query, &head};

  // The clock moves a little per input, so entries expire and are re-checked as the run goes on.
  fixture->now += 7;
  FileReply reply;
  fixture->files->handle(request, fixture->now, &reply);
  check_reply(reply);
  fixture->files->done();
  const OpenFileCache &cache = fixture->files->cache();
  if (cache.entries() > cache.limits().max_entries || cache.open_files() > cache.limits().max_open_files ||
      cache.memory_bytes() > cache.limits().max_bytes)
    fail("cache limits broken after done()", "");
  return 0;
}
