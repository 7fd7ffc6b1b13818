// The file system calls the file handler makes: opening a path without leaving a root directory,
// and sending a file's bytes to a socket without copying them through user space.
//
// Opening stays below the root whatever the path's symlinks say: on Linux with openat2's
// RESOLVE_BENEATH when the kernel has it (5.6+), else by opening with openat and checking where the
// descriptor really points. Sending uses sendfile(2) on Linux and pread + send elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/socket_io.h"

namespace uvhttp {

// An open file descriptor, closed when the last response that sends from it is done.
class OpenFile {
public:
  // live counts the descriptors open at once (for the stats); it must outlive the OpenFile.
  OpenFile(int fd, uint64_t *live) : fd_(fd), live_(live) { ++*live_; }
  ~OpenFile();
  OpenFile(const OpenFile &) = delete;
  OpenFile &operator=(const OpenFile &) = delete;
  int fd() const { return fd_; }

private:
  int fd_;
  uint64_t *live_;
};

enum class OpenResult : uint8_t {
  Ok,
  Missing,   // no such file, or a path component is not a directory
  Escapes,   // the path (through a symlink) leads outside the root
  Forbidden, // permission denied
  Failed,    // anything else (out of descriptors, I/O error)
};

enum class BeneathMode : uint8_t {
  Auto,     // openat2 when the kernel has it, else the checked fallback
  Fallback, // always the fallback (tests use it to cover kernels without openat2)
};

struct FileInfo {
  bool regular;
  bool directory;
  uint64_t size;
  int64_t mtime_ms; // modification time, milliseconds since the epoch
  uint64_t dev;
  uint64_t ino;
};

// A directory opened as a root: its descriptor and, for the fallback check, its real path.
struct RootDir {
  int fd = -1;
  std::string real_path; // absolute, no trailing '/'
};

// Opens path (an absolute or relative directory path) as a root. Returns an errno-style error
// message, or an empty string.
std::string open_root(const std::string &path, RootDir *out);
void close_root(RootDir *root);

// Opens relative (no leading '/', no ".." segments; empty for the root itself) below root for
// reading, without blocking on FIFOs, and describes it. *fd is -1 unless Ok.
OpenResult open_beneath(const RootDir &root, const std::string &relative, int *fd, FileInfo *info,
                        BeneathMode mode = BeneathMode::Auto);

void close_file(int fd);

// Reads exactly len bytes at offset into out (resized); false on a short read or an error.
bool read_file(int fd, uint64_t offset, size_t len, std::string *out);

// Sends up to len bytes of fd at offset to the socket. Returns bytes sent, 0 when the file ended
// before len (it shrank), or -1 with the socket error in last_socket_error().
long send_file(socket_t s, int fd, uint64_t offset, size_t len);

} // namespace uvhttp
