// Unit tests for native/io/file_io.cc: opening below a root never leaves it, through any symlink, with
// openat2 and with the fallback used where the kernel has no openat2; send_file sends exact ranges.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "check.h"
#include "socket_drain.h"
#include "io/file_io.h"

using namespace uvhttp;

namespace {

using check::drain;

void write_file(const std::string &path, const std::string &data) {
  FILE *f = std::fopen(path.c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

void beneath(const std::string &base, BeneathMode mode, const char *label) {
  const std::string L = std::string(label) + ": ";
  RootDir root;
  check::that(open_root(base + "/root", &root).empty(), L + "open_root");
  int fd = -1;
  FileInfo info{};
  check::that(open_beneath(root, "a.txt", &fd, &info, mode) == OpenResult::Ok && info.regular && info.size == 5,
              L + "a plain file");
  if (fd >= 0) close_file(fd);
  check::that(open_beneath(root, "", &fd, &info, mode) == OpenResult::Ok && info.directory, L + "the root itself");
  if (fd >= 0) close_file(fd);
  check::that(open_beneath(root, "sub/b.txt", &fd, &info, mode) == OpenResult::Ok && info.regular, L + "a nested file");
  if (fd >= 0) close_file(fd);
  check::that(open_beneath(root, "inside-link", &fd, &info, mode) == OpenResult::Ok && info.regular && info.size == 5,
              L + "a symlink that stays inside is followed");
  if (fd >= 0) close_file(fd);
  const OpenResult out = open_beneath(root, "outside-link", &fd, &info, mode);
  check::that((out == OpenResult::Escapes || out == OpenResult::Missing) && fd == -1,
              L + "a symlink to a file outside the root is refused");
  const OpenResult outdir = open_beneath(root, "outdir-link/secret.txt", &fd, &info, mode);
  check::that((outdir == OpenResult::Escapes || outdir == OpenResult::Missing) && fd == -1,
              L + "a symlinked directory outside the root is refused");
  const OpenResult abs = open_beneath(root, "abs-link", &fd, &info, mode);
  check::that((abs == OpenResult::Escapes || abs == OpenResult::Missing) && fd == -1,
              L + "an absolute symlink is refused");
  check::that(open_beneath(root, "nope.txt", &fd, &info, mode) == OpenResult::Missing && fd == -1, L + "missing");
  check::that(open_beneath(root, "a.txt/x", &fd, &info, mode) == OpenResult::Missing, L + "below a file: missing");
  check::that(open_beneath(root, "fifo", &fd, &info, mode) == OpenResult::Ok && !info.regular && !info.directory,
              L + "a FIFO opens without blocking and is not a regular file");
  if (fd >= 0) close_file(fd);
  close_root(&root);
}

} // namespace

int main() {
  char tmpl[] = "/tmp/uvhttp-file-io-XXXXXX";
  const std::string base = mkdtemp(tmpl);
  mkdir((base + "/root").c_str(), 0755);
  mkdir((base + "/root/sub").c_str(), 0755);
  mkdir((base + "/outside").c_str(), 0755);
  write_file(base + "/root/a.txt", "hello");
  write_file(base + "/root/sub/b.txt", "bee");
  write_file(base + "/outside/secret.txt", "SECRET");
  symlink("a.txt", (base + "/root/inside-link").c_str());
  symlink("../outside/secret.txt", (base + "/root/outside-link").c_str());
  symlink("../outside", (base + "/root/outdir-link").c_str());
  symlink((base + "/outside/secret.txt").c_str(), (base + "/root/abs-link").c_str());
  mkfifo((base + "/root/fifo").c_str(), 0644);

  beneath(base, BeneathMode::Auto, "auto");
  beneath(base, BeneathMode::Fallback, "fallback");

  RootDir missing;
  check::that(!open_root(base + "/no-such-dir", &missing).empty(), "open_root names a missing directory");
  check::that(!open_root(base + "/root/a.txt", &missing).empty(), "open_root refuses a file");

  // send_file: exact ranges, and 0 when the file is shorter than asked.
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  write_file(base + "/big", big);
  RootDir root;
  open_root(base, &root);
  int fd = -1;
  FileInfo info{};
  open_beneath(root, "big", &fd, &info);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  check::that(send_file(sv[0], fd, 10, 20) == 20 && drain(sv[1]) == big.substr(10, 20), "send_file sends the range");
  check::that(send_file(sv[0], fd, big.size() - 5, 10) == 5 && drain(sv[1]) == big.substr(big.size() - 5),
              "send_file stops at the end of the file");
  check::that(send_file(sv[0], fd, big.size(), 10) == 0, "send_file past the end sends nothing and says 0");
  std::string part;
  check::that(read_file(fd, 100, 50, &part) && part == big.substr(100, 50), "read_file reads the range");
  check::that(!read_file(fd, big.size() - 1, 2, &part), "read_file fails on a short read");
  {
    uint64_t live = 0;
    {
      OpenFile f(fd, &live);
      check::that(live == 1, "OpenFile counts itself");
    }
    check::that(live == 0 && fcntl(fd, F_GETFD) == -1, "OpenFile closes its descriptor");
  }
  close(sv[0]);
  close(sv[1]);
  close_root(&root);
  std::system(("rm -rf " + base).c_str());
  return check::summary("file_io");
}
