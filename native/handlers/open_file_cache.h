// What the file handler knows about the files it served lately (nginx's open_file_cache, our own):
// per path, whether it exists and what it is, its size and mtime, its validators, and either its
// bytes (small files: a hit costs what a static route costs) or an open descriptor (large files,
// sent with sendfile). Misses are kept too, so a flood of 404s does not touch the disk each time.
//
// An entry is believed for valid_ms; the next use after that opens the path again and compares
// device, inode, size and mtime, so a file rewritten, deleted or created is seen within valid_ms of
// it happening. Entries, descriptors and bytes are bounded; the least recently used entry goes first.
// A response still sending from an evicted descriptor keeps it open until it is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "http/content_coding.h"
#include "http/http_date.h"
#include "io/file_io.h"

namespace uvhttp {

struct FileCacheLimits {
  size_t max_entries = 10000;
  size_t max_open_files = 1000; // descriptors held by entries (responses in flight may hold more)
  size_t max_bytes = 64 * 1024 * 1024; // file contents kept in memory
  size_t max_file_size = 64 * 1024;    // files up to this size are kept in memory
  uint64_t valid_ms = 1000;
};

struct CachedFile {
  enum class Kind : uint8_t {
    Missing,   // no such file, a path that leaves the root, or not a regular file or directory
    Forbidden, // permission denied
    Failed,    // could not be opened now (out of descriptors, I/O error): not believed, tried again
    File,
    Directory,
  };

  std::string path; // relative to the root: the key
  Kind kind = Kind::Missing;
  uint64_t checked_at = 0; // loop time of the last open
  uint64_t version = 0;    // changes whenever what is known about the file changes
  FileInfo info{};
  std::shared_ptr<OpenFile> file; // a large file's descriptor
  std::string bytes;              // a small file's contents
  std::string etag;               // strong, from size and mtime: "\"<size hex>-<mtime ms hex>\""
  char last_modified[kHttpDateLength]; // IMF-fixdate of mtime
  int64_t mtime_s = 0;

  // Kept for the file handler: which precompressed siblings exist (looked for again as often as an
  // entry is re-checked), and the rendered 200 heads (as the file itself, and as a variant of the
  // file it compresses).
  bool variants_known = false;
  uint64_t variants_checked_at = 0;
  bool has_variant[kContentCodings] = {};
  bool any_variant = false;
  std::string head_direct;
  bool head_direct_vary = false;
  std::string head_variant;

  bool in_memory() const { return kind == Kind::File && !file; }

private:
  friend class OpenFileCache;
  struct Table *table = nullptr;
  CachedFile *newer = nullptr; // LRU list
  CachedFile *older = nullptr;
};

// The entries of one root directory.
struct Table {
  std::unordered_map<std::string, std::unique_ptr<CachedFile>> entries;
};

class OpenFileCache {
public:
  explicit OpenFileCache(const FileCacheLimits &limits) : limits_(limits) {}
  ~OpenFileCache();
  OpenFileCache(const OpenFileCache &) = delete;
  OpenFileCache &operator=(const OpenFileCache &) = delete;

  // The entry for relative under root, opened now when it is new or its time is up. Never null; may
  // throw std::bad_alloc. Entries are not evicted here: a caller may hold several at once, and the
  // bytes of the response it builds from them must stay valid until queued. Call trim() when none
  // is held.
  CachedFile *get(Table &table, const RootDir &root, const std::string &relative, uint64_t now);
  // Evicts the least recently used entries until the limits hold.
  void trim() {
    if (entries_ > limits_.max_entries || bytes_ > limits_.max_bytes || entry_fds_ > limits_.max_open_files) evict();
  }
  // Forgets every entry of table (its mount is going away).
  void drop(Table &table);

  const FileCacheLimits &limits() const { return limits_; }
  size_t entries() const { return entries_; }
  size_t memory_bytes() const { return bytes_; }
  // Descriptors open now: held by entries and by responses still sending from evicted ones.
  uint64_t open_files() const { return open_files_; }

private:
  void refresh(CachedFile *e, const RootDir &root, uint64_t now);
  void set_contents(CachedFile *e, int fd, const FileInfo &info);
  void release_contents(CachedFile *e);
  void touch(CachedFile *e);
  void evict();
  void unlink(CachedFile *e);
  void remove(CachedFile *e);

  FileCacheLimits limits_;
  CachedFile *newest_ = nullptr;
  CachedFile *oldest_ = nullptr;
  size_t entries_ = 0;
  size_t bytes_ = 0;
  size_t entry_fds_ = 0;
  uint64_t open_files_ = 0;
  uint64_t versions_ = 0;
};

} // namespace uvhttp
