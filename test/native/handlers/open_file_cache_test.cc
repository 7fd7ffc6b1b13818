// Unit tests for the open-file cache (native/handlers/open_file_cache.h) against a temp directory:
// an entry is believed for valid_ms and re-checked after (the test owns the clock), a change of size,
// mtime or inode is seen and invalidates the rendered heads, misses are cached and re-checked, small
// files live in memory and large ones keep a descriptor, and trim() holds every limit in LRU order
// while counting descriptors that an evicted entry's in-flight response still holds.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "check.h"
#include "handlers/open_file_cache.h"

using namespace uvhttp;
using Kind = CachedFile::Kind;

namespace {

std::string base;

void write_file(const std::string &rel, const std::string &data) {
  FILE *f = std::fopen((base + "/" + rel).c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

// Sets a file's mtime to an exact second, so a same-size rewrite is told apart by mtime alone and
// two files can share one.
void set_mtime(const std::string &rel, time_t seconds) {
  const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  utimensat(AT_FDCWD, (base + "/" + rel).c_str(), times, 0);
}

bool fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

void revalidation(const RootDir &root) {
  FileCacheLimits limits;
  limits.valid_ms = 1000;
  OpenFileCache cache(limits);
  Table table;

  write_file("a.txt", "hello");
  set_mtime("a.txt", 1000000);
  CachedFile *e = cache.get(table, root, "a.txt", 5000);
  check::that(e->kind == Kind::File && e->in_memory() && e->bytes == "hello", "a small file is read into memory");
  check::that(!e->file && e->info.size == 5, "its descriptor is closed once read");
  check::that(e->etag == "\"5-3b9aca00\"", "the etag is size and mtime in ms, in hex: " + e->etag);
  check::that(std::string(e->last_modified, sizeof(e->last_modified)) == "Mon, 12 Jan 1970 13:46:40 GMT",
              "last_modified is the mtime as IMF-fixdate");
  check::that(cache.memory_bytes() == 5 && cache.entries() == 1 && cache.open_files() == 0, "counters after one read");
  const uint64_t v1 = e->version;
  e->head_direct = "rendered";
  e->head_variant = "rendered too";

  // Same size, different bytes and mtime, same inode: invisible until valid_ms has passed.
  write_file("a.txt", "HELLO");
  set_mtime("a.txt", 1000001);
  e = cache.get(table, root, "a.txt", 5999);
  check::that(e->bytes == "hello" && e->version == v1, "a hit within valid_ms does not re-open (old bytes)");
  check::that(e->head_direct == "rendered", "and keeps its rendered head");
  e = cache.get(table, root, "a.txt", 6000);
  check::that(e->bytes == "HELLO", "after valid_ms the rewrite is seen");
  check::that(e->version != v1, "a changed mtime bumps the version");
  check::that(e->head_direct.empty() && e->head_variant.empty(), "a change clears both rendered heads");
  check::that(e->checked_at == 6000, "checked_at is the time of the open");
  check::that(cache.memory_bytes() == 5, "memory bytes are swapped, not added");

  // Unchanged after a re-check: same version, heads kept.
  const uint64_t v2 = e->version;
  e->head_direct = "rendered";
  e = cache.get(table, root, "a.txt", 7000);
  check::that(e->version == v2 && e->head_direct == "rendered", "an unchanged file keeps its version and heads");

  // Size only (mtime set back to the same second).
  write_file("a.txt", "HELLO!");
  set_mtime("a.txt", 1000001);
  e = cache.get(table, root, "a.txt", 8000);
  check::that(e->version != v2 && e->bytes == "HELLO!" && e->head_direct.empty(), "a changed size bumps the version");
  check::that(cache.memory_bytes() == 6, "memory bytes follow the new size");

  // Inode only: same size, same bytes, same mtime, renamed over.
  const uint64_t v3 = e->version;
  e->head_direct = "rendered";
  const uint64_t ino = e->info.ino;
  write_file("a.tmp", "HELLO!");
  set_mtime("a.tmp", 1000001);
  rename((base + "/a.tmp").c_str(), (base + "/a.txt").c_str());
  e = cache.get(table, root, "a.txt", 9000);
  check::that(e->info.ino != ino, "the rename gave a new inode");
  check::that(e->version != v3 && e->head_direct.empty(), "a changed inode bumps the version and clears the head");

  // Deleted: a miss, its bytes released; created again: seen after valid_ms.
  unlink((base + "/a.txt").c_str());
  e = cache.get(table, root, "a.txt", 9500);
  check::that(e->kind == Kind::File, "a deletion within valid_ms is not seen yet");
  e = cache.get(table, root, "a.txt", 10000);
  check::that(e->kind == Kind::Missing && e->bytes.empty(), "a deleted file becomes Missing");
  check::that(cache.memory_bytes() == 0, "and its bytes are released");

  CachedFile *n = cache.get(table, root, "new.txt", 10000);
  check::that(n->kind == Kind::Missing && cache.entries() == 2, "a miss is an entry too");
  write_file("new.txt", "fresh");
  n = cache.get(table, root, "new.txt", 10999);
  check::that(n->kind == Kind::Missing, "a cached miss is believed for valid_ms");
  n = cache.get(table, root, "new.txt", 11000);
  check::that(n->kind == Kind::File && n->bytes == "fresh", "a created file is seen after valid_ms");

  CachedFile *d = cache.get(table, root, "dir", 11000);
  check::that(d->kind == Kind::Directory && !d->file && d->bytes.empty(), "a directory holds nothing open");
  CachedFile *r = cache.get(table, root, "", 11000);
  check::that(r->kind == Kind::Directory, "the root itself is a directory");
  CachedFile *below = cache.get(table, root, "new.txt/x", 11000);
  check::that(below->kind == Kind::Missing, "a path below a file is Missing");
  CachedFile *out = cache.get(table, root, "escape", 11000);
  check::that(out->kind == Kind::Missing && out->bytes.empty(), "a symlink out of the root is Missing");
  CachedFile *fifo = cache.get(table, root, "fifo", 11000);
  check::that(fifo->kind == Kind::Missing && cache.open_files() == 0, "a FIFO is Missing and its descriptor closed");

  cache.drop(table);
  check::that(cache.entries() == 0 && cache.memory_bytes() == 0 && table.entries.empty(), "drop() empties the table");
}

void large_files(const RootDir &root) {
  FileCacheLimits limits;
  limits.max_file_size = 8;
  OpenFileCache cache(limits);
  Table table;
  write_file("small.txt", "12345678");
  write_file("large.txt", "123456789");
  CachedFile *s = cache.get(table, root, "small.txt", 1);
  check::that(s->in_memory() && s->bytes == "12345678" && !s->file, "a file of max_file_size is in memory");
  CachedFile *l = cache.get(table, root, "large.txt", 1);
  check::that(!l->in_memory() && l->file && l->bytes.empty() && l->info.size == 9, "a larger one holds an fd");
  check::that(cache.open_files() == 1 && cache.memory_bytes() == 8, "one descriptor, eight bytes");
  const int fd = l->file->fd();
  char buf[9];
  check::that(pread(fd, buf, 9, 0) == 9 && std::string(buf, 9) == "123456789", "the fd reads the file");

  // Rewritten larger file: the old descriptor closes unless held.
  std::shared_ptr<OpenFile> held = l->file;
  write_file("large.txt", "abcdefghij");
  l = cache.get(table, root, "large.txt", 2000);
  check::that(l->file && l->file.get() != held.get() && l->info.size == 10, "a changed large file is re-opened");
  check::that(cache.open_files() == 2 && fd_open(fd), "the old fd stays open while a response holds it");
  held.reset();
  check::that(cache.open_files() == 1 && !fd_open(fd), "and closes when the response is done");

  // Shrunk to a small file: the fd goes, the bytes come.
  write_file("large.txt", "tiny");
  l = cache.get(table, root, "large.txt", 4000);
  check::that(l->in_memory() && l->bytes == "tiny" && cache.open_files() == 0 && cache.memory_bytes() == 12,
              "a large file that shrank is kept in memory");
  cache.drop(table);
  check::that(cache.open_files() == 0 && cache.entries() == 0, "drop() closes everything");
}

bool has(const Table &t, const char *path) { return t.entries.count(path) == 1; }

void limits_in_lru_order(const RootDir &root) {
  for (const char *p : {"e1", "e2", "e3", "e4"}) write_file(p, "x");
  {
    FileCacheLimits limits;
    limits.max_entries = 3;
    OpenFileCache cache(limits);
    Table table;
    cache.get(table, root, "e1", 1);
    cache.get(table, root, "e2", 1);
    cache.get(table, root, "e3", 1);
    cache.get(table, root, "e1", 2); // most recently used now
    cache.get(table, root, "e4", 3);
    check::that(cache.entries() == 4, "get() never evicts");
    cache.trim();
    check::that(cache.entries() == 3 && !has(table, "e2") && has(table, "e1") && has(table, "e3") && has(table, "e4"),
                "max_entries evicts the least recently used (e2)");
    cache.get(table, root, "missing-1", 4);
    cache.trim();
    check::that(cache.entries() == 3 && !has(table, "e3") && has(table, "missing-1"), "misses count as entries");
    cache.drop(table);
  }
  for (const char *p : {"m1", "m2", "m3"}) write_file(p, "four");
  {
    FileCacheLimits limits;
    limits.max_bytes = 10;
    OpenFileCache cache(limits);
    Table table;
    cache.get(table, root, "m1", 1);
    cache.get(table, root, "m2", 1);
    cache.get(table, root, "m3", 1);
    check::that(cache.memory_bytes() == 12, "12 bytes held before trim");
    cache.trim();
    check::that(cache.memory_bytes() == 8 && !has(table, "m1") && has(table, "m2") && has(table, "m3"),
                "max_bytes evicts the oldest (m1)");
    cache.get(table, root, "m2", 2);
    cache.get(table, root, "m1", 2);
    cache.trim();
    check::that(cache.memory_bytes() == 8 && !has(table, "m3") && has(table, "m1") && has(table, "m2"),
                "after a touch of m2 the oldest is m3");
    cache.drop(table);
  }
  for (const char *p : {"f1", "f2", "f3"}) write_file(p, std::string(100, 'f'));
  {
    FileCacheLimits limits;
    limits.max_open_files = 2;
    limits.max_file_size = 10;
    OpenFileCache cache(limits);
    Table table;
    cache.get(table, root, "f1", 1);
    CachedFile *f2 = cache.get(table, root, "f2", 1);
    cache.get(table, root, "f3", 1);
    cache.get(table, root, "f1", 2);
    check::that(cache.open_files() == 3, "three descriptors before trim");
    // A response in flight holds f2's descriptor, the way a FileRange does.
    std::shared_ptr<OpenFile> held = f2->file;
    const int fd = held->fd();
    cache.trim();
    check::that(!has(table, "f2") && has(table, "f1") && has(table, "f3"), "max_open_files evicts the oldest (f2)");
    check::that(cache.entries() == 2, "two entries left");
    check::that(cache.open_files() == 3 && fd_open(fd), "the evicted descriptor is still counted while held");
    held.reset();
    check::that(cache.open_files() == 2 && !fd_open(fd), "and closed and uncounted once dropped");
    cache.trim();
    check::that(cache.entries() == 2, "trim() is a no-op once the limits hold");
    cache.drop(table);
    check::that(cache.open_files() == 0, "drop() closes the rest");
  }
}

void failed_is_retried(const RootDir &root) {
  OpenFileCache cache(FileCacheLimits{});
  Table table;
  write_file("retry.txt", "again");
  struct rlimit old;
  getrlimit(RLIMIT_NOFILE, &old);
  // No descriptor is free: the lowest free number becomes the limit.
  const int probe = open("/dev/null", O_RDONLY);
  close(probe);
  struct rlimit tight = old;
  tight.rlim_cur = static_cast<rlim_t>(probe);
  setrlimit(RLIMIT_NOFILE, &tight);
  CachedFile *e = cache.get(table, root, "retry.txt", 100);
  setrlimit(RLIMIT_NOFILE, &old);
  check::that(e->kind == Kind::Failed, "out of descriptors is Failed, not Missing");
  e = cache.get(table, root, "retry.txt", 100);
  check::that(e->kind == Kind::File && e->bytes == "again", "a Failed entry is retried on the next get, at once");
  cache.drop(table);
}

void drop_one_table(const RootDir &root) {
  FileCacheLimits limits;
  limits.max_file_size = 4;
  OpenFileCache cache(limits);
  Table one, two;
  write_file("d-small", "abc");
  write_file("d-large", "abcdefgh");
  cache.get(one, root, "d-small", 1);
  cache.get(one, root, "d-large", 1);
  cache.get(two, root, "d-small", 1);
  cache.get(two, root, "d-large", 1);
  cache.get(one, root, "nothing", 1);
  check::that(cache.entries() == 5 && cache.open_files() == 2 && cache.memory_bytes() == 6, "two tables filled");
  cache.drop(one);
  check::that(one.entries.empty() && cache.entries() == 2 && cache.open_files() == 1 && cache.memory_bytes() == 3,
              "drop() forgets one table and its counts");
  // The LRU list must no longer reach the dropped entries: trimming everything touches only `two`.
  cache.get(two, root, "d-small", 2);
  cache.trim();
  check::that(two.entries.size() == 2, "the other table is intact");
  cache.drop(two);
  check::that(cache.entries() == 0 && cache.open_files() == 0 && cache.memory_bytes() == 0, "both dropped");
}

} // namespace

int main() {
  char tmpl[] = "/tmp/uvhttp-file-cache-XXXXXX";
  const std::string top = mkdtemp(tmpl);
  base = top + "/root";
  mkdir(base.c_str(), 0755);
  mkdir((base + "/dir").c_str(), 0755);
  mkdir((top + "/outside").c_str(), 0755);
  FILE *f = std::fopen((top + "/outside/secret").c_str(), "wb");
  std::fputs("SECRET", f);
  std::fclose(f);
  symlink("../outside/secret", (base + "/escape").c_str());
  mkfifo((base + "/fifo").c_str(), 0644);

  RootDir root;
  check::that(open_root(base, &root).empty(), "open_root");
  revalidation(root);
  large_files(root);
  limits_in_lru_order(root);
  failed_is_retried(root);
  drop_one_table(root);
  close_root(&root);

  std::system(("rm -rf '" + top + "'").c_str());
  return check::summary("open_file_cache");
}
