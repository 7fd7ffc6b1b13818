// A buffer whose last byte sits right before an inaccessible page, so reading even one byte past the
// end faults instead of silently reading a neighbour's memory. ASan does not catch over-reads of
// input that the tests copy into larger std::string storage; this does.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t max_len) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    data_len_ = (max_len + page_ - 1) / page_ * page_;
    if (data_len_ == 0) data_len_ = page_;
    void *m = mmap(nullptr, data_len_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      std::perror("mmap");
      std::abort();
    }
    base_ = static_cast<char *>(m);
    if (mprotect(base_ + data_len_, page_, PROT_NONE) != 0) {
      std::perror("mprotect");
      std::abort();
    }
  }
  ~GuardedBuffer() { munmap(base_, data_len_ + page_); }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  // Copies bytes so that they end exactly at the guard page; returns where they start.
  char *place(const char *bytes, size_t n) {
    if (n > data_len_) {
      std::fprintf(stderr, "GuardedBuffer: input of %zu bytes exceeds %zu\n", n, data_len_);
      std::abort();
    }
    char *start = base_ + data_len_ - n;
    if (n != 0) std::memcpy(start, bytes, n);
    return start;
  }
  char *place(const std::string &s) { return place(s.data(), s.size()); }

 private:
  size_t page_ = 0;
  size_t data_len_ = 0;
  char *base_ = nullptr;
};
