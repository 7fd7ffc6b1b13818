// Output buffers lent to a server's connections while they have bytes to send. A connection renders
// its responses into one, sends it, and gives it back: an idle keep-alive connection holds no buffer,
// and a new connection allocates none (under ab, a connection per request, each used to allocate its
// own and free it at close). Buffers that grew large are freed rather than kept.
#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace uvhttp {

class BufferPool {
public:
  // A buffer past this capacity goes back to malloc instead of the pool.
  static constexpr size_t kKeepCapacity = 16 * 1024;
  static constexpr size_t kMaxSpare = 1024;

  // An empty buffer: a spare one with its capacity, or a new one.
  std::string take() {
    if (spare_.empty()) return std::string();
    std::string s = std::move(spare_.back());
    spare_.pop_back();
    return s;
  }
  // Takes an emptied buffer back (never throws: it is freed when it cannot be kept).
  void give(std::string &&s) {
    if (s.capacity() > kKeepCapacity || s.capacity() <= std::string().capacity()) return;
    if (spare_.capacity() == 0) {
      try {
        spare_.reserve(kMaxSpare);
      } catch (const std::exception &) {
        return;
      }
    }
    if (spare_.size() == kMaxSpare) return;
    s.clear();
    spare_.push_back(std::move(s));
  }

private:
  std::vector<std::string> spare_;
};

} // namespace uvhttp
