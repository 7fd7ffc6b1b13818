#include "core/output_queue.h"

#include <algorithm>

namespace uvhttp {

OutputQueue::Slot *OutputQueue::find(uint32_t seq) {
  if (slots_.empty()) return nullptr;
  const uint32_t index = seq - slots_.front().seq; // sequence numbers of one connection are consecutive
  if (index >= slots_.size()) return nullptr;
  Slot &s = slots_.at(index);
  return s.ready ? nullptr : &s;
}

void OutputQueue::promote() {
  while (!slots_.empty() && slots_.front().ready) {
    Slot &s = slots_.front();
    waiting_bytes_ -= s.data.size();
    ready_bytes_ += s.data.size();
    if (s.data.size() >= kSegmentTarget) {
      segments_.push_back(std::move(s.data)); // large: hand the buffer over instead of copying it
    } else {
      tail().append(s.data);
    }
    slots_.pop_front();
  }
}

void OutputQueue::close_owed() {
  for (size_t i = 0; i < slots_.size(); ++i)
    if (!slots_.at(i).ready) slots_.at(i).conn = ConnectionHeader::Close;
}

size_t OutputQueue::drop_owed() {
  size_t owed_by_js = 0;
  for (size_t i = 0; i < slots_.size(); ++i)
    if (!slots_.at(i).ready) ++owed_by_js;
  slots_.clear();
  waiting_bytes_ = 0;
  return owed_by_js;
}

OutputQueue::WriteResult OutputQueue::write(socket_t fd, size_t *sent) {
  *sent = 0;
  while (ready_bytes_ > 0) {
    long n;
    if (segments_.size() == 1) {
      // The common case: this iteration's responses in one segment.
      const std::string &seg = segments_.front();
      n = sock_send(fd, seg.data() + front_sent_, seg.size() - front_sent_);
    } else {
      IoSlice slices[kMaxIoSlices];
      int count = 0;
      for (size_t i = 0; i < segments_.size() && count < kMaxIoSlices; ++i) {
        const std::string &seg = segments_[i];
        const size_t skip = i == 0 ? front_sent_ : 0;
        if (seg.size() > skip) slices[count++] = IoSlice{seg.data() + skip, seg.size() - skip};
      }
      n = sock_sendv(fd, slices, count);
    }
    if (n < 0) {
      const int err = last_socket_error();
      if (interrupted(err)) continue;
      return would_block(err) ? WriteResult::Blocked : WriteResult::Failed;
    }
    auto left = static_cast<size_t>(n);
    *sent += left;
    ready_bytes_ -= left;
    // Free what went out; keep the last small segment for the next response.
    while (left > 0 || (segments_.size() > 1 && segments_.front().size() == front_sent_)) {
      std::string &front = segments_.front();
      const size_t take = std::min(left, front.size() - front_sent_);
      front_sent_ += take;
      left -= take;
      if (front_sent_ < front.size()) break;
      front_sent_ = 0;
      if (segments_.size() == 1) {
        if (front.capacity() > kKeepCapacity) {
          segments_.pop_front();
        } else {
          front.clear();
        }
        break;
      }
      segments_.pop_front();
    }
  }
  return WriteResult::Drained;
}

size_t OutputQueue::capacity() const {
  size_t total = 0;
  for (const std::string &s : segments_) total += s.capacity();
  for (size_t i = 0; i < slots_.size(); ++i) total += slots_.at(i).data.capacity();
  return total;
}

} // namespace uvhttp
