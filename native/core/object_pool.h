// Storage for objects made and destroyed at a high rate (a connection per request under ab): a
// destroyed object's memory is kept for the next one instead of going back to malloc, which sorts
// chunks of that size (~500 bytes: above tcache's few and the fast bins) through its unsorted bin on
// every free. Bounded: past kMaxSpare the memory goes back.
#pragma once

#include <cstddef>
#include <exception>
#include <new>
#include <utility>
#include <vector>

namespace uvhttp {

template <typename T> class ObjectPool {
public:
  ObjectPool() = default;
  ObjectPool(const ObjectPool &) = delete;
  ObjectPool &operator=(const ObjectPool &) = delete;
  ~ObjectPool() {
    for (void *block : spare_) ::operator delete(block);
  }

  // A new T, or nullptr when memory ran out (or its constructor threw).
  template <typename... Args> T *make(Args &&...args) {
    if (spare_.capacity() == 0) {
      try {
        spare_.reserve(kMaxSpare); // destroy() then never allocates
      } catch (const std::exception &) {
        return nullptr;
      }
    }
    void *block;
    if (!spare_.empty()) {
      block = spare_.back();
      spare_.pop_back();
    } else {
      block = ::operator new(sizeof(T), std::nothrow);
      if (!block) return nullptr;
    }
    try {
      return new (block) T(std::forward<Args>(args)...);
    } catch (...) {
      spare_.push_back(block);
      return nullptr;
    }
  }

  void destroy(T *object) {
    if (!object) return;
    object->~T();
    if (spare_.size() < kMaxSpare) {
      spare_.push_back(object);
    } else {
      ::operator delete(object);
    }
  }

private:
  static constexpr size_t kMaxSpare = 1024;
  std::vector<void *> spare_;
};

} // namespace uvhttp
