// The file handler: directories mounted at URL prefixes (app.serveDir), answered in native code.
//
// A request the router did not match comes here with its path and header fields; the handler maps the
// path to a file below the mount's root (handlers/file_path.h), looks it up in the open-file cache,
// picks a precompressed variant, applies the conditional and Range rules of RFC 9110, and describes
// the response: a head, and a body from memory or from ranges of an open file. It never sees a socket;
// the connection queues what it describes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/output_queue.h"
#include "core/router.h"
#include "handlers/mime_types.h"
#include "handlers/open_file_cache.h"
#include "http/content_coding.h"
#include "http/http_errors.h"
#include "http/parser.h"
#include "http/range.h"

namespace uvhttp {

struct MountOptions {
  std::string index = "index.html"; // empty: no index files
  bool allow_dotfiles = false;
  bool etag = true;
  bool last_modified = true;
  std::string cache_control;  // empty: none
  std::string extra_headers;  // rendered header lines, each ending in CRLF
  std::vector<ContentCoding> precompressed{ContentCoding::Br, ContentCoding::Gzip};
  std::string spa;            // relative path of the file sent for HTML navigations that miss; empty: off
  bool fallthrough = false;
};

struct FileStats {
  uint64_t memory_hits = 0;        // responses whose body came from memory
  uint64_t sendfile_responses = 0; // responses sent from an open file
  uint64_t not_modified = 0;       // 304s
};

struct FileRequest {
  Method method;
  std::string_view path;  // the routed path as received (percent-encoded), starting with '/'
  std::string_view query; // what followed '?', or empty
  bool has_query;
  const RequestHead *head;
};

// A piece of a body that follows the head: bytes, or a range of an open file.
struct BodyPart {
  std::string_view bytes;
  FileRange file; // when file.file is set
};

struct FileReply {
  enum class Kind : uint8_t {
    Pass,     // no mount took the request (none covers it, or every one it reached fell through)
    Error,    // a canned error (error), with Allow: GET, HEAD when it is MethodNotAllowed
    Response, // head, then body (from memory) and parts
  };
  Kind kind = Kind::Pass;
  HttpError error = HttpError::NotFound;
  std::string_view head; // status line and fields, each ending in CRLF, without Date and Connection
  std::string_view body;
  const std::vector<BodyPart> *parts = nullptr; // after body; never null for Response
  bool omit_body = false;                       // HEAD and 304: the head alone
};

class StaticFiles {
public:
  explicit StaticFiles(const FileCacheLimits &limits) : cache_(limits) {}
  ~StaticFiles();
  StaticFiles(const StaticFiles &) = delete;
  StaticFiles &operator=(const StaticFiles &) = delete;

  // Mounts root at prefix ("/" or "/a/b", no trailing '/'). Returns an error message or "".
  std::string mount(std::string_view prefix, const std::string &root, MountOptions options);
  void load_types(std::string_view packed) { types_.load(packed); }
  bool empty() const { return mounts_.empty(); }

  // Answers a request the router did not match. Everything *out points to is valid until done() or
  // the next call. now is the loop's clock (milliseconds). May throw std::bad_alloc.
  void handle(const FileRequest &request, uint64_t now, FileReply *out);
  // The reply has been queued: the cache may evict again, so its limits hold between requests. The
  // queue holds its own references to the file ranges, so ours go first: an entry evicted here must
  // not stay open until the next request.
  void done() {
    parts_.clear();
    cache_.trim();
  }

  const FileStats &stats() const { return stats_; }
  const OpenFileCache &cache() const { return cache_; }

private:
  struct Mount {
    std::string prefix;
    bool at_root; // prefix "/": covers every path
    RootDir root;
    MountOptions options;
    Table table;
  };
  struct Headers; // the request's fields this handler reads
  enum class Outcome : uint8_t { Done, Miss };

  Outcome serve_path(Mount &m, bool trailing_slash, const FileRequest &r, Headers &h, uint64_t now, FileReply *out);
  Outcome serve_file(Mount &m, CachedFile *e, const FileRequest &r, Headers &h, uint64_t now, FileReply *out);
  void redirect_to_directory(const FileRequest &r, FileReply *out);
  // The 200 head of e (coding >= 0: as that precompressed variant), rendered once and kept in e.
  const std::string &head_for(Mount &m, CachedFile *e, std::string_view etag, bool vary, int coding);
  std::string_view type_of(const CachedFile *e, int coding) const;
  void error(HttpError e, FileReply *out);

  OpenFileCache cache_;
  MimeTypes types_;
  std::vector<std::unique_ptr<Mount>> mounts_; // longest prefix first, then in registration order
  FileStats stats_;
  // Reused between requests so that a hit allocates nothing.
  std::string relative_;
  std::string sibling_;
  std::string head_;
  std::string body_;
  std::string etag_;
  std::string boundary_; // multipart/byteranges: random per server, so no file can predict it
  std::vector<BodyPart> parts_;
  std::vector<std::string> part_heads_;
  ByteRange ranges_[16];
};

} // namespace uvhttp
