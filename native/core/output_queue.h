// What a connection owes its client, in request order, and the bytes on their way out.
//
// Responses are produced out of order (a static hit answered at once behind a slow JS handler) but
// must leave in request order. A response whose turn has come is rendered straight into the ready
// segments; one that is ready early waits in its slot. Ready bytes are a list of segments sent with
// one vectored send; a segment is freed as soon as it is sent, so a slow reader never makes the
// queue keep sent bytes, and an idle connection keeps at most one small segment for its next response.
//
// A segment is rendered bytes or a range of an open file (sent with sendfile, never read into memory).
//
// A streamed response holds its slot from its first part to its last: while it is the oldest, its
// parts go straight to the ready bytes, and the responses after it wait in their slots, as behind any
// response JS still owes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/buffer_pool.h"
#include "core/ring.h"
#include "http/response.h"
#include "io/file_io.h"
#include "io/socket_io.h"

namespace uvhttp {

// Bytes of an open file that a response sends; the file stays open until they are sent.
struct FileRange {
  std::shared_ptr<OpenFile> file;
  uint64_t offset;
  uint64_t length;
};

class OutputQueue {
public:
  // One piece of the output (internal; public for the helpers in output_queue.cc).
  struct Segment {
    std::string bytes; // when file is empty
    FileRange file;
    bool is_file() const { return file.file != nullptr; }
  };

public:
  // A response the connection owes: reserved when its request goes to JS.
  struct Slot {
    uint64_t started;       // when its request started (for requestTimeout); 0 for ready responses
    uint32_t seq;
    bool ready;             // rendered, waiting for the responses before it
    bool streaming;         // its head is rendered and more of its body is to come
    bool omit_body;         // HEAD
    ConnectionHeader conn;  // what its Connection header says
    std::string data;
    std::vector<Segment> parts; // a response with file ranges, when it is ready early (after data)
  };

  // Owed responses in request order: a ring that keeps its storage, so a connection that pipelines
  // allocates nothing per request once warm, and an idle one that never owed JS holds nothing.
  class Slots {
  public:
    bool empty() const { return count_ == 0; }
    size_t size() const { return count_; }
    Slot &front() { return ring_[head_]; }
    const Slot &front() const { return ring_[head_]; }
    Slot &at(size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    const Slot &at(size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    Slot &push_back(uint64_t started, uint32_t seq, bool ready, bool omit_body, ConnectionHeader conn) {
      if (count_ == ring_.size()) grow();
      Slot &s = at(count_++);
      s.started = started;
      s.seq = seq;
      s.ready = ready;
      s.streaming = false;
      s.omit_body = omit_body;
      s.conn = conn;
      return s; // its data is empty: pop_front left it so
    }
    void pop_front() {
      std::string &data = ring_[head_].data;
      if (data.capacity() > kInlineCapacity) {
        std::string().swap(data); // a response rendered early gives its buffer back
      } else {
        data.clear();
      }
      if (!ring_[head_].parts.empty()) std::vector<Segment>().swap(ring_[head_].parts);
      head_ = (head_ + 1) & (ring_.size() - 1);
      --count_;
    }
    void clear() {
      while (count_ > 0) pop_front();
    }
    // Gives the ring's storage back; only when empty.
    void release() {
      if (count_ != 0) return;
      std::vector<Slot>().swap(ring_);
      head_ = 0;
    }
    // Forgets the newest slot (its storage is kept like pop_front's).
    void pop_back() {
      Slot &s = at(count_ - 1);
      if (s.data.capacity() > kInlineCapacity) std::string().swap(s.data);
      else s.data.clear();
      if (!s.parts.empty()) std::vector<Segment>().swap(s.parts);
      --count_;
    }

  private:
    static inline const size_t kInlineCapacity = std::string().capacity();
    void grow() {
      // A power of two; one to start with: most connections owe one response at a time, and an idle
      // one holds what it grew to until release().
      std::vector<Slot> bigger(ring_.empty() ? 1 : ring_.size() * 2);
      for (size_t i = 0; i < count_; ++i) bigger[i] = std::move(at(i));
      ring_.swap(bigger);
      head_ = 0;
    }
    std::vector<Slot> ring_;
    size_t head_ = 0;
    size_t count_ = 0;
  };

  enum class WriteResult : uint8_t {
    Drained, // every ready byte went out
    Blocked, // the socket is full: wait for writability
    Yielded, // this call's budget is spent and the socket may take more: come back soon
    Failed,  // the peer is gone
  };

  // A segment that held more than this is released once sent rather than kept for reuse.
  static constexpr size_t kKeepCapacity = 16 * 1024;
  // Responses are appended to the last segment until it holds this much; then a new one starts, so a
  // large response never copies the ones before it when the buffer grows.
  static constexpr size_t kSegmentTarget = 64 * 1024;
  static constexpr size_t kWriteBudget = 2 * 1024 * 1024;

  OutputQueue() = default;
  // Buffers come from, and go back to, the server's pool: an idle queue holds none.
  explicit OutputQueue(BufferPool *buffers) : buffers_(buffers) {}
  OutputQueue(const OutputQueue &) = delete;
  OutputQueue &operator=(const OutputQueue &) = delete;

  // Renders a response that is ready now: into the ready bytes when nothing is owed before it, else
  // into a slot of its own that waits for its turn. render(std::string &) appends.
  template <typename Render> void add_ready(uint32_t seq, Render &&render) {
    if (slots_.empty()) {
      std::string &t = tail();
      const size_t before = t.size();
      render(t);
      ready_bytes_ += t.size() - before;
      return;
    }
    std::string &data = slots_.push_back(0, seq, true, false, ConnectionHeader::None).data;
    render(data);
    waiting_bytes_ += data.size();
  }

  // Bytes that go out before the oldest owed response, whose own bytes have not started (its 100
  // Continue). render(std::string &) appends.
  template <typename Render> void add_interim(Render &&render) {
    std::string &t = tail();
    const size_t before = t.size();
    render(t);
    ready_bytes_ += t.size() - before;
  }

  // Where a response with file ranges is written: bytes() is appended to (render() into it), file()
  // adds a range after what was appended so far.
  class Writer {
  public:
    std::string &bytes() {
      settle();
      if (slot_) {
        if (slot_->parts.empty() || slot_->parts.back().is_file()) slot_->parts.emplace_back();
        current_ = &slot_->parts.back().bytes;
      } else {
        current_ = &queue_->tail();
      }
      before_ = current_->size();
      return *current_;
    }
    void file(FileRange range) {
      settle();
      added_ += range.length;
      Segment s;
      s.file = std::move(range);
      if (slot_) {
        slot_->parts.push_back(std::move(s));
      } else {
        queue_->segments_.push_back(std::move(s));
      }
    }

  private:
    friend class OutputQueue;
    Writer(OutputQueue *q, Slot *slot) : queue_(q), slot_(slot) {}
    void settle() {
      if (current_) added_ += current_->size() - before_;
      current_ = nullptr;
    }
    OutputQueue *queue_;
    Slot *slot_;
    std::string *current_ = nullptr;
    size_t before_ = 0;
    size_t added_ = 0;
  };

  // Like add_ready, for a response with file ranges: render(Writer &).
  template <typename Render> void add_ready_parts(uint32_t seq, Render &&render) {
    Slot *slot = slots_.empty() ? nullptr : &slots_.push_back(0, seq, true, false, ConnectionHeader::None);
    Writer w(this, slot);
    render(w);
    w.settle();
    (slot ? waiting_bytes_ : ready_bytes_) += w.added_;
  }

  // A response that comes later (from JS).
  void reserve(uint32_t seq, bool omit_body, ConnectionHeader conn, uint64_t started) {
    slots_.push_back(started, seq, false, omit_body, conn);
  }

  // How much of an owed response a call brings: all of it, or the start, a middle or the end of a
  // streamed one.
  enum class Part : uint8_t { Whole, Start, More, Last };

  // Renders part of the owed response seq with render(std::string &, const Slot &), which appends.
  // False when seq is not owed (answered already, or never reserved) or the part does not fit what
  // came before (More or Last of a response that did not Start, Whole or Start of one that did).
  template <typename Render> bool fulfil(uint32_t seq, Part part, Render &&render) {
    Slot *s = find(seq);
    if (!s || s->streaming != (part == Part::More || part == Part::Last)) return false;
    const bool complete = part == Part::Whole || part == Part::Last;
    if (s == &slots_.front()) {
      std::string &t = tail();
      const size_t before = t.size();
      render(t, *s);
      ready_bytes_ += t.size() - before;
      if (complete) {
        slots_.pop_front();
        promote();
        return true;
      }
    } else {
      const size_t before = s->data.size();
      render(s->data, *s);
      waiting_bytes_ += s->data.size() - before;
      if (complete) {
        s->ready = true;
        s->streaming = false;
        return true;
      }
    }
    s->streaming = true;
    return true;
  }
  template <typename Render> bool fulfil(uint32_t seq, Render &&render) {
    return fulfil(seq, Part::Whole, std::forward<Render>(render));
  }

  // Whether JS owes the response seq (or more of it).
  bool owes(uint32_t seq) { return find(seq) != nullptr; }
  // Forgets every response after seq, rendered or owed (none of them can be sent: the connection ends
  // with seq); returns how many JS still owed.
  size_t drop_after(uint32_t seq);

  // Every owed response gets Connection: close (the server is closing). Ready ones keep theirs.
  void close_owed();
  // Forgets every owed response (the connection is closing); returns how many JS still owed.
  size_t drop_owed();

  // Sends ready bytes until done or the socket is full; *sent counts the bytes that went out. One
  // call sends at most kWriteBudget bytes (then says Yielded, and writability brings it back), so a
  // fast reader of a large file cannot keep the loop from the other connections. before_close: the
  // connection closes once these bytes are out and nothing else is owed (socket_io.h says why).
  WriteResult write(socket_t fd, size_t *sent, bool before_close = false);

  bool idle() const { return slots_.empty() && ready_bytes_ == 0; }
  // Gives back what an idle queue keeps for the next response (the last small segment, the slot
  // ring): an idle connection then holds no buffer at all. Only when idle().
  void release_idle();
  bool owes_js() const { return !slots_.empty(); } // the front slot is always one JS has not answered
  size_t owed() const { return slots_.size(); }
  // The oldest owed response: its sequence number, when its request started and whether it is
  // streaming. Only when owes_js().
  const Slot &oldest_owed() const { return slots_.front(); }
  bool has_ready_bytes() const { return ready_bytes_ > 0; }
  // Bytes not yet sent, ready or waiting behind an owed response (file ranges included: they are
  // what a client has asked for and not yet taken).
  size_t unsent() const { return ready_bytes_ + waiting_bytes_; }
  // Memory held by buffers, for the stats.
  size_t capacity() const;

private:
  Slot *find(uint32_t seq);
  // Where the next ready response is appended (inline: every response passes here).
  std::string &tail() {
    if (segments_.empty() || segments_.back().is_file() || segments_.back().bytes.size() >= kSegmentTarget) {
      std::string &bytes = segments_.emplace_back().bytes;
      if (buffers_) bytes = buffers_->take();
      return bytes;
    }
    return segments_.back().bytes;
  }
  // Moves slots whose turn has come to the ready bytes.
  void promote();

  BufferPool *buffers_ = nullptr; // where sent byte segments go, and new ones come from; none: each kept
  Slots slots_;
  Ring<Segment> segments_;
  size_t front_sent_ = 0;   // bytes of segments_.front() already sent
  size_t ready_bytes_ = 0;   // unsent bytes in segments_
  size_t waiting_bytes_ = 0; // rendered bytes in slots behind an owed response
};

} // namespace uvhttp
