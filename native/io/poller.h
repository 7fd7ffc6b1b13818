// Readiness of one socket, from the event loop. Its owner says which events it wants and is told when
// they come. Today the backend is libuv's uv_poll_t on Node's loop; another (an edge-triggered epoll
// set nested in the loop) can replace it behind this interface without the connection knowing.
#pragma once

#include <uv.h>

#include "io/socket_io.h"

namespace uvhttp {

class PollerEvents {
public:
  virtual ~PollerEvents() = default;
  virtual void on_readable() = 0;
  virtual void on_writable() = 0;
  // The socket failed, or handling an event threw (out of memory): the owner must close.
  virtual void on_poll_failure() = 0;
  // After close(): the poller no longer touches the socket or its owner.
  virtual void on_poller_closed() = 0;
};

class Poller {
public:
  Poller() = default;
  Poller(const Poller &) = delete;
  Poller &operator=(const Poller &) = delete;

  // Returns 0 or a libuv error code.
  int start(uv_loop_t *loop, socket_t fd, PollerEvents *events);
  // Watches exactly these events; no system call when they did not change.
  void watch(bool readable, bool writable);
  bool reading() const { return (watching_ & UV_READABLE) != 0; }
  void close();

private:
  static void on_poll(uv_poll_t *h, int status, int events);
  static void on_close(uv_handle_t *h);

  uv_poll_t handle_;
  PollerEvents *events_ = nullptr;
  int watching_ = 0;
  bool closing_ = false;
};

} // namespace uvhttp
