#include "handlers/open_file_cache.h"

#include <cstdio>

#include "http/http_date.h"

namespace uvhttp {

// The tables belong to the mounts, which drop() them before the cache goes.
OpenFileCache::~OpenFileCache() = default;

CachedFile *OpenFileCache::get(Table &table, const RootDir &root, const std::string &relative, uint64_t now) {
  auto it = table.entries.find(relative);
  CachedFile *e;
  if (it == table.entries.end()) {
    auto fresh = std::make_unique<CachedFile>();
    fresh->path = relative;
    fresh->table = &table;
    e = fresh.get();
    table.entries.emplace(relative, std::move(fresh));
    ++entries_;
    refresh(e, root, now);
  } else {
    e = it->second.get();
    if (e->kind == CachedFile::Kind::Failed || now - e->checked_at >= limits_.valid_ms) refresh(e, root, now);
  }
  touch(e);
  return e;
}

void OpenFileCache::refresh(CachedFile *e, const RootDir &root, uint64_t now) {
  e->checked_at = now;
  int fd = -1;
  FileInfo info{};
  const OpenResult r = open_beneath(root, e->path, &fd, &info);
  CachedFile::Kind kind;
  switch (r) {
  case OpenResult::Ok: kind = info.regular ? CachedFile::Kind::File : info.directory ? CachedFile::Kind::Directory : CachedFile::Kind::Missing; break;
  case OpenResult::Forbidden: kind = CachedFile::Kind::Forbidden; break;
  case OpenResult::Failed: kind = CachedFile::Kind::Failed; break;
  case OpenResult::Missing:
  case OpenResult::Escapes:
  default: kind = CachedFile::Kind::Missing; break;
  }
  const bool same = kind == e->kind &&
                    (kind != CachedFile::Kind::File ||
                     (info.dev == e->info.dev && info.ino == e->info.ino && info.size == e->info.size &&
                      info.mtime_ms == e->info.mtime_ms));
  if (same) {
    if (fd >= 0) close_file(fd);
    return;
  }
  release_contents(e);
  e->kind = kind;
  e->version = ++versions_;
  e->head_direct.clear();
  e->head_variant.clear();
  if (kind == CachedFile::Kind::File) {
    set_contents(e, fd, info); // takes fd
  } else if (fd >= 0) {
    close_file(fd);
  }
}

void OpenFileCache::set_contents(CachedFile *e, int fd, const FileInfo &info) {
  e->info = info;
  e->mtime_s = info.mtime_ms >= 0 ? info.mtime_ms / 1000 : -((-info.mtime_ms + 999) / 1000);
  char tag[48];
  std::snprintf(tag, sizeof(tag), "\"%llx-%llx\"", static_cast<unsigned long long>(info.size),
                static_cast<unsigned long long>(info.mtime_ms));
  e->etag = tag;
  format_http_date(e->mtime_s > 0 ? e->mtime_s : 0, e->last_modified);
  if (info.size <= limits_.max_file_size) {
    const bool ok = read_file(fd, 0, static_cast<size_t>(info.size), &e->bytes);
    close_file(fd);
    if (!ok) {
      // Shorter than fstat said (rewritten while read) or unreadable: try again next time.
      e->bytes.clear();
      e->kind = CachedFile::Kind::Failed;
      return;
    }
    bytes_ += e->bytes.size();
  } else {
    e->file = std::make_shared<OpenFile>(fd, &open_files_);
    ++entry_fds_;
  }
}

void OpenFileCache::release_contents(CachedFile *e) {
  bytes_ -= e->bytes.size();
  std::string().swap(e->bytes);
  if (e->file) {
    e->file.reset(); // closes now unless a response still sends from it
    --entry_fds_;
  }
}

void OpenFileCache::unlink(CachedFile *e) {
  if (e->newer) e->newer->older = e->older;
  if (e->older) e->older->newer = e->newer;
  if (newest_ == e) newest_ = e->older;
  if (oldest_ == e) oldest_ = e->newer;
  e->newer = e->older = nullptr;
}

void OpenFileCache::touch(CachedFile *e) {
  if (newest_ == e) return;
  unlink(e);
  e->older = newest_;
  if (newest_) newest_->newer = e;
  newest_ = e;
  if (!oldest_) oldest_ = e;
}

void OpenFileCache::trim() {
  while (oldest_ && (entries_ > limits_.max_entries || bytes_ > limits_.max_bytes || entry_fds_ > limits_.max_open_files))
    remove(oldest_);
}

void OpenFileCache::remove(CachedFile *e) {
  release_contents(e);
  unlink(e);
  --entries_;
  Table *t = e->table;
  t->entries.erase(t->entries.find(e->path)); // destroys e
}

void OpenFileCache::drop(Table &table) {
  for (auto &kv : table.entries) {
    CachedFile *e = kv.second.get();
    release_contents(e);
    unlink(e);
    --entries_;
  }
  table.entries.clear();
}

} // namespace uvhttp
