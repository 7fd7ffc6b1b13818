// A first-in first-out list in one power-of-two array that keeps its storage. The first item lives
// inside the ring itself, so the common case (one item at a time) never allocates; more grow an array
// that stays until release(). std::deque allocates ~600 bytes when it is made, empty or not: per idle
// connection, that was most of what one cost (bench/idle.mjs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace uvhttp {

template <typename T> class Ring {
public:
  Ring() = default;
  Ring(const Ring &) = delete; // items_ may point into the object itself
  Ring &operator=(const Ring &) = delete;
  ~Ring() { free_array(); }

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  T &front() { return items_[head_]; }
  const T &front() const { return items_[head_]; }
  T &back() { return (*this)[count_ - 1]; }
  T &operator[](size_t i) { return items_[(head_ + i) & (capacity_ - 1)]; }
  const T &operator[](size_t i) const { return items_[(head_ + i) & (capacity_ - 1)]; }

  // A new last item, in the state T() makes (pop_front leaves every free place so).
  T &emplace_back() {
    if (count_ == capacity_) grow();
    return (*this)[count_++];
  }
  void push_back(T &&item) { emplace_back() = std::move(item); }
  void pop_front() {
    reset(items_[head_]); // frees what the item held now, not when its place is reused
    head_ = (head_ + 1) & (capacity_ - 1);
    --count_;
  }
  // Gives a grown array back; only when empty.
  void release() {
    if (count_ != 0) return;
    free_array();
    items_ = &first_;
    capacity_ = 1;
    head_ = 0;
  }

private:
  void grow() {
    const uint32_t bigger = capacity_ * 2;
    T *items = new T[bigger];
    for (uint32_t i = 0; i < count_; ++i) items[i] = std::move((*this)[i]);
    free_array();
    items_ = items;
    capacity_ = bigger;
    head_ = 0;
  }
  void free_array() {
    if (items_ != &first_) delete[] items_;
    reset(first_);
  }
  // Assigning T() would not do: a std::string keeps its heap buffer when assigned a short string.
  static void reset(T &item) {
    item.~T();
    new (&item) T();
  }

  T first_{};
  T *items_ = &first_;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
  uint32_t capacity_ = 1;
};

} // namespace uvhttp
