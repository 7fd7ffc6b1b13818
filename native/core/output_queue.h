// What a connection owes its client, in request order, and the bytes on their way out.
//
// Responses are produced out of order (a static hit answered at once behind a slow JS handler) but
// must leave in request order. A response whose turn has come is rendered straight into the ready
// segments; one that is ready early waits in its slot. Ready bytes are a list of segments sent with
// one vectored send; a segment is freed as soon as it is sent, so a slow reader never makes the
// queue keep sent bytes, and an idle connection keeps at most one small segment for its next response.
//
// Segments are rendered bytes today; a file range or a stream chunk is another kind of segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "http/response.h"
#include "io/socket_io.h"

namespace uvhttp {

class OutputQueue {
public:
  // A response the connection owes: reserved when its request goes to JS.
  struct Slot {
    uint64_t started;       // when its request started (for requestTimeout); 0 for ready responses
    uint32_t seq;
    bool ready;             // rendered, waiting for the responses before it
    bool omit_body;         // HEAD
    ConnectionHeader conn;  // what its Connection header says
    std::string data;
  };

  enum class WriteResult : uint8_t {
    Drained, // every ready byte went out
    Blocked, // the socket is full: wait for writability
    Failed,  // the peer is gone
  };

  // A segment that held more than this is released once sent rather than kept for reuse.
  static constexpr size_t kKeepCapacity = 16 * 1024;
  // Responses are appended to the last segment until it holds this much; then a new one starts, so a
  // large response never copies the ones before it when the buffer grows.
  static constexpr size_t kSegmentTarget = 64 * 1024;

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
    slots_.push_back(Slot{0, seq, true, false, ConnectionHeader::None, {}});
    render(slots_.back().data);
    waiting_bytes_ += slots_.back().data.size();
  }

  // A response that comes later (from JS).
  void reserve(uint32_t seq, bool omit_body, ConnectionHeader conn, uint64_t started) {
    slots_.push_back(Slot{started, seq, false, omit_body, conn, {}});
  }

  // Renders the owed response seq with render(std::string &, const Slot &). False when seq is not
  // owed (answered already, or never reserved).
  template <typename Render> bool fulfil(uint32_t seq, Render &&render) {
    Slot *s = find(seq);
    if (!s) return false;
    if (s == &slots_.front()) {
      std::string &t = tail();
      const size_t before = t.size();
      render(t, *s);
      ready_bytes_ += t.size() - before;
      slots_.pop_front();
      promote();
    } else {
      render(s->data, *s);
      s->ready = true;
      waiting_bytes_ += s->data.size();
    }
    return true;
  }

  // Every owed response gets Connection: close (the server is closing). Ready ones keep theirs.
  void close_owed();
  // Forgets every owed response (the connection is closing); returns how many JS still owed.
  size_t drop_owed();

  // Sends ready bytes until done or the socket is full; *sent counts the bytes that went out.
  WriteResult write(socket_t fd, size_t *sent);

  bool idle() const { return slots_.empty() && ready_bytes_ == 0; }
  bool owes_js() const { return !slots_.empty(); } // the front slot is always one JS has not answered
  size_t owed() const { return slots_.size(); }
  // The oldest owed response: its sequence number and when its request started. Only when owes_js().
  const Slot &oldest_owed() const { return slots_.front(); }
  bool has_ready_bytes() const { return ready_bytes_ > 0; }
  // Bytes not yet sent, ready or waiting behind an owed response.
  size_t unsent() const { return ready_bytes_ + waiting_bytes_; }
  // Memory held by buffers, for the stats.
  size_t capacity() const;

private:
  Slot *find(uint32_t seq);
  std::string &tail();
  // Moves slots whose turn has come to the ready bytes.
  void promote();

  std::deque<Slot> slots_;
  std::deque<std::string> segments_;
  size_t front_sent_ = 0;   // bytes of segments_.front() already sent
  size_t ready_bytes_ = 0;   // unsent bytes in segments_
  size_t waiting_bytes_ = 0; // rendered bytes in slots behind an owed response
};

} // namespace uvhttp
