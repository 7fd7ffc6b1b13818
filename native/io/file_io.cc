#include "io/file_io.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <climits>
#include <cstdlib>
#endif
#ifdef __linux__
#include <sys/sendfile.h>
#include <sys/syscall.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define UVHTTP_HAVE_OPENAT2 1
#endif
#endif

namespace uvhttp {

#ifdef _WIN32

// Serving files is not implemented on Windows yet: registration refuses it (see open_root).
OpenFile::~OpenFile() { --*live_; }
std::string open_root(const std::string &, RootDir *) { return "serving files is not supported on Windows yet"; }
void close_root(RootDir *) {}
OpenResult open_beneath(const RootDir &, const std::string &, int *fd, FileInfo *, BeneathMode) {
  *fd = -1;
  return OpenResult::Failed;
}
void close_file(int) {}
bool read_file(int, uint64_t, size_t, std::string *) { return false; }
long send_file(socket_t, int, uint64_t, size_t) { return -1; }

#else

namespace {

constexpr int kOpenFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

OpenResult classify(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR:
  case ENAMETOOLONG:
  case ELOOP: // a symlink loop, or a symlink where none may be followed
    return OpenResult::Missing;
  case EXDEV: // RESOLVE_BENEATH: the path would leave the root
    return OpenResult::Escapes;
  case EACCES:
  case EPERM:
    return OpenResult::Forbidden;
  default:
    return OpenResult::Failed;
  }
}

#ifdef UVHTTP_HAVE_OPENAT2
// 0: not tried yet, 1: works, -1: missing (ENOSYS, or refused by a seccomp filter). Shared by the
// servers of every thread, which all see the same kernel.
std::atomic<int> openat2_state{0};

int try_openat2(int dir, const char *path, int *fd) {
  open_how how{};
  how.flags = kOpenFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long r = syscall(SYS_openat2, dir, path, &how, sizeof(how));
  if (r >= 0) {
    *fd = static_cast<int>(r);
    return 0;
  }
  return errno;
}
#endif

// Where fd really points, compared with the root's real path: the check that makes a plain openat
// safe when symlinks may lead anywhere.
bool inside_root(int fd, const RootDir &root) {
#ifdef __linux__
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  char target[PATH_MAX];
  const ssize_t n = readlink(link, target, sizeof(target));
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(target)) return false;
  const std::string_view t(target, static_cast<size_t>(n));
#elif defined(F_GETPATH)
  char target[PATH_MAX];
  if (fcntl(fd, F_GETPATH, target) != 0) return false;
  const std::string_view t(target);
#else
  (void)fd;
  (void)root;
  return false; // no way to ask: open_beneath refuses symlinks instead
#endif
#if defined(__linux__) || defined(F_GETPATH)
  const std::string_view r(root.real_path);
  if (r == "/") return true;
  return t.size() >= r.size() && t.compare(0, r.size(), r) == 0 && (t.size() == r.size() || t[r.size()] == '/');
#endif
}

bool can_check_path() {
#if defined(__linux__) || defined(F_GETPATH)
  return true;
#else
  return false;
#endif
}

int open_fallback(const RootDir &root, const std::string &relative, int *fd) {
  if (can_check_path()) {
    const int r = openat(root.fd, relative.c_str(), kOpenFlags);
    if (r < 0) return errno;
    if (!inside_root(r, root)) {
      close(r);
      return EXDEV;
    }
    *fd = r;
    return 0;
  }
  // Nothing tells where a descriptor points: walk the path refusing every symlink.
  int dir = root.fd;
  size_t start = 0;
  for (;;) {
    const size_t slash = relative.find('/', start);
    const std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    const bool last = slash == std::string::npos;
    const int next = openat(dir, part.c_str(), (last ? kOpenFlags : O_RDONLY | O_DIRECTORY | O_CLOEXEC) | O_NOFOLLOW);
    const int err = errno;
    if (dir != root.fd) close(dir);
    if (next < 0) return err;
    if (last) {
      *fd = next;
      return 0;
    }
    dir = next;
    start = slash + 1;
  }
}

} // namespace

OpenFile::~OpenFile() {
  ::close(fd_);
  --*live_;
}

std::string open_root(const std::string &path, RootDir *out) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  char real[PATH_MAX];
  if (!realpath(path.c_str(), real)) {
    const int err = errno;
    close(fd);
    return std::strerror(err);
  }
  out->fd = fd;
  out->real_path = real;
  return {};
}

void close_root(RootDir *root) {
  if (root->fd >= 0) close(root->fd);
  root->fd = -1;
}

OpenResult open_beneath(const RootDir &root, const std::string &relative, int *fd, FileInfo *info, BeneathMode mode) {
  *fd = -1;
  const char *path = relative.empty() ? "." : relative.c_str();
  int err = -1;
#ifdef UVHTTP_HAVE_OPENAT2
  const int state = openat2_state.load(std::memory_order_relaxed);
  if (mode == BeneathMode::Auto && state >= 0) {
    err = try_openat2(root.fd, path, fd);
    if (err == ENOSYS || (state == 0 && err == EPERM)) {
      openat2_state.store(-1, std::memory_order_relaxed); // the kernel or a sandbox lacks it
      err = -1;
    } else if (state == 0) {
      openat2_state.store(1, std::memory_order_relaxed);
    }
  }
#else
  (void)mode;
#endif
  if (err == -1) err = open_fallback(root, relative.empty() ? std::string(".") : relative, fd);
  if (err != 0) return classify(err);
  struct stat st;
  if (fstat(*fd, &st) != 0) {
    const int e = errno;
    close(*fd);
    *fd = -1;
    return classify(e);
  }
  info->regular = S_ISREG(st.st_mode);
  info->directory = S_ISDIR(st.st_mode);
  info->size = static_cast<uint64_t>(st.st_size);
#if defined(__APPLE__)
  info->mtime_ms = static_cast<int64_t>(st.st_mtimespec.tv_sec) * 1000 + st.st_mtimespec.tv_nsec / 1000000;
#else
  info->mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
#endif
  info->dev = static_cast<uint64_t>(st.st_dev);
  info->ino = static_cast<uint64_t>(st.st_ino);
  return OpenResult::Ok;
}

void close_file(int fd) { ::close(fd); }

bool read_file(int fd, uint64_t offset, size_t len, std::string *out) {
  out->resize(len);
  size_t done = 0;
  while (done < len) {
    const ssize_t n = pread(fd, &(*out)[done], len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

long send_file(socket_t s, int fd, uint64_t offset, size_t len) {
#ifdef __linux__
  off_t off = static_cast<off_t>(offset);
  const ssize_t n = sendfile(s, fd, &off, len);
  return static_cast<long>(n);
#else
  // No zero-copy call with one meaning across systems: read a slice and send it. A short send
  // leaves the rest to the next call, which reads it again.
  static thread_local char buf[64 * 1024];
  const size_t want = len < sizeof(buf) ? len : sizeof(buf);
  ssize_t got;
  do {
    got = pread(fd, buf, want, static_cast<off_t>(offset));
  } while (got < 0 && errno == EINTR);
  if (got < 0) return -1;
  if (got == 0) return 0;
  return sock_send(s, buf, static_cast<size_t>(got));
#endif
}

#endif

} // namespace uvhttp
