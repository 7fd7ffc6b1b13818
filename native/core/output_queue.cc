#include "core/output_queue.h"

#include <algorithm>

namespace uvhttp {

namespace {

size_t segment_size(const OutputQueue::Segment &s) {
  return s.is_file() ? static_cast<size_t>(s.file.length) : s.bytes.size();
}

} // namespace

OutputQueue::Slot *OutputQueue::find(uint32_t seq) {
  if (slots_.empty()) return nullptr;
  const uint32_t index = seq - slots_.front().seq; // sequence numbers of one connection are consecutive
  if (index >= slots_.size()) return nullptr;
  Slot &s = slots_.at(index);
  return s.ready ? nullptr : &s;
}

void OutputQueue::promote() {
  while (!slots_.empty()) {
    Slot &s = slots_.front();
    // The common case: the next response is still owed and nothing of it waits.
    if (!s.ready && s.data.empty() && s.parts.empty()) return;
    size_t moved = s.data.size();
    if (s.data.size() >= kSegmentTarget) {
      segments_.emplace_back();
      segments_.back().bytes = std::move(s.data); // large: hand the buffer over instead of copying it
      s.data = std::string();
    } else if (!s.data.empty()) {
      tail().append(s.data);
      s.data.clear();
    }
    for (Segment &part : s.parts) {
      moved += part.is_file() ? part.file.length : part.bytes.size();
      if (part.is_file() || part.bytes.size() >= kSegmentTarget) {
        segments_.push_back(std::move(part));
      } else {
        tail().append(part.bytes);
      }
    }
    s.parts.clear();
    waiting_bytes_ -= moved;
    ready_bytes_ += moved;
    // A streamed response whose turn came keeps its slot: what it sent so far is out of the slot, and
    // its next parts go straight to the ready bytes.
    if (!s.ready) break;
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

size_t OutputQueue::drop_after(uint32_t seq) {
  size_t owed_by_js = 0;
  while (!slots_.empty()) {
    const Slot &last = slots_.at(slots_.size() - 1);
    if (last.seq == seq) break;
    if (!last.ready) ++owed_by_js;
    size_t held = last.data.size();
    for (const Segment &part : last.parts) held += segment_size(part);
    waiting_bytes_ -= held;
    slots_.pop_back();
  }
  return owed_by_js;
}

OutputQueue::WriteResult OutputQueue::write(socket_t fd, size_t *sent, bool before_close) {
  *sent = 0;
  while (ready_bytes_ > 0) {
    if (*sent >= kWriteBudget) return WriteResult::Yielded; // the socket is still writable: back soon
    long n;
    const Segment &front = segments_.front();
    if (front.is_file()) {
      const uint64_t left = front.file.length - front_sent_;
      const size_t want = left < kWriteBudget ? static_cast<size_t>(left) : kWriteBudget;
      n = send_file(fd, front.file.file->fd(), front.file.offset + front_sent_, want);
      if (n == 0) return WriteResult::Failed; // the file shrank under its Content-Length: end the response
    } else if (segments_.size() == 1) {
      // The common case: this iteration's responses in one segment.
      n = sock_send(fd, front.bytes.data() + front_sent_, front.bytes.size() - front_sent_, before_close);
    } else {
      IoSlice slices[kMaxIoSlices];
      int count = 0;
      for (size_t i = 0; i < segments_.size() && count < kMaxIoSlices; ++i) {
        const Segment &seg = segments_[i];
        if (seg.is_file()) break; // sent by the next round, after these bytes
        const size_t skip = i == 0 ? front_sent_ : 0;
        if (seg.bytes.size() > skip) slices[count++] = IoSlice{seg.bytes.data() + skip, seg.bytes.size() - skip};
      }
      n = sock_sendv(fd, slices, count, before_close);
    }
    if (n < 0) {
      const int err = last_socket_error();
      if (interrupted(err)) continue;
      return would_block(err) ? WriteResult::Blocked : WriteResult::Failed;
    }
    auto left = static_cast<size_t>(n);
    *sent += left;
    ready_bytes_ -= left;
    // Free what went out: byte buffers go back to the pool (without one, the last small one is kept
    // for the next response).
    while (left > 0 || (segments_.size() > 1 && segment_size(segments_.front()) == front_sent_)) {
      Segment &seg = segments_.front();
      const size_t size = segment_size(seg);
      const size_t take = std::min(left, size - front_sent_);
      front_sent_ += take;
      left -= take;
      if (front_sent_ < size) break;
      front_sent_ = 0;
      if (buffers_ && !seg.is_file()) {
        buffers_->give(std::move(seg.bytes)); // the pool keeps it for whichever connection writes next
      } else if (segments_.size() == 1 && !seg.is_file()) {
        if (seg.bytes.capacity() > kKeepCapacity) {
          segments_.pop_front();
        } else {
          seg.bytes.clear();
        }
        break;
      }
      segments_.pop_front();
      if (segments_.empty()) break;
    }
  }
  return WriteResult::Drained;
}

void OutputQueue::release_idle() {
  if (!idle()) return;
  while (!segments_.empty()) segments_.pop_front();
  segments_.release();
  front_sent_ = 0;
  slots_.release();
}

size_t OutputQueue::capacity() const {
  size_t total = 0;
  for (size_t i = 0; i < segments_.size(); ++i) total += segments_[i].bytes.capacity();
  for (size_t i = 0; i < slots_.size(); ++i) {
    total += slots_.at(i).data.capacity();
    for (const Segment &part : slots_.at(i).parts) total += part.bytes.capacity();
  }
  return total;
}

} // namespace uvhttp
