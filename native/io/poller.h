// Readiness of one socket, from the event loop. Its owner says which events it wants and is told when
// they come; it reads through receive() and says when a send found the socket full, so that either
// backend (io/poll_group.h: an edge-triggered epoll set nested in Node's loop, or libuv's uv_poll_t)
// can run without the connection knowing which.
#pragma once

#include <uv.h>

#include <cstdint>

#include "io/poll_group.h"
#include "io/socket_io.h"

namespace uvhttp {

class PollerEvents {
public:
  virtual ~PollerEvents() = default;
  virtual void on_readable() = 0;
  virtual void on_writable() = 0;
  // The socket failed, or handling an event threw (out of memory): the owner must close.
  virtual void on_poll_failure() = 0;
  // After close(), never from inside it: the poller no longer touches the socket or its owner.
  virtual void on_poller_closed() = 0;
};

class Poller {
public:
  Poller() = default;
  Poller(const Poller &) = delete;
  Poller &operator=(const Poller &) = delete;

  // Returns 0 or a libuv error code.
  int start(PollGroup *group, socket_t fd, PollerEvents *events);
  // Watches exactly these events (level-triggered: on_readable comes while input waits); no system
  // call when they did not change.
  void watch(bool readable, bool writable);
  bool reading() const { return (watching_ & kReadable) != 0; }
  // recv(2): what it returns, errno set as recv sets it. A short read or EAGAIN tells the backend
  // the socket has run dry, which is how an edge-triggered one knows not to deliver again.
  long receive(char *buf, size_t len);
  // A send found the socket full (EAGAIN): on_writable comes when it has room again. A write that
  // stopped with room left (its budget spent) does not call this, and is delivered again at once.
  void send_blocked() { ready_ &= static_cast<uint8_t>(~kWritable); }
  // Whether input may be waiting unread. Epoll: false once a read ran the socket dry and no edge (nor
  // a hang-up) came since, which is what nginx checks before closing without lingering. uv_poll_t
  // cannot tell: always true there.
  bool input_pending() const { return uv_ != nullptr || (ready_ & (kReadable | kHungUp)) != 0; }
  void close();

private:
  friend class PollGroup;
  // kHungUp: the peer half-closed or the socket failed. From then on a read never runs the socket dry
  // (it returns 0 or the error), and no new edge would come for the end a short read left behind.
  static constexpr uint8_t kReadable = 1, kWritable = 2, kHungUp = 4;

  // Epoll: an event came (edges as kReadable | kWritable | kHungUp).
  void on_edges(uint8_t edges);
  // Epoll: calls the owner for what is both ready and watched; queues the poller again when some of
  // that is left (a read that filled its buffer), as a level-triggered poll would report it again.
  void deliver();
  void deliver_or_fail();
  static void on_uv_poll(uv_poll_t *h, int status, int events);
  static void on_uv_close(uv_handle_t *h);

  PollGroup *group_ = nullptr;
  PollerEvents *events_ = nullptr;
  uv_poll_t *uv_ = nullptr; // Uv: the handle, freed once closed
  socket_t fd_ = kInvalidSocket;
  uint8_t watching_ = 0;
  uint8_t ready_ = kWritable; // Epoll: edges not used up yet; a new socket has room to write
  bool closing_ = false;
  bool deferred_ = false;     // Epoll: in the group's deferred list
};

} // namespace uvhttp
