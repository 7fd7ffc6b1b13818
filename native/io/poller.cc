#include "io/poller.h"

#include <exception>

namespace uvhttp {

int Poller::start(uv_loop_t *loop, socket_t fd, PollerEvents *events) {
  events_ = events;
  handle_.data = this;
  return uv_poll_init_socket(loop, &handle_, fd);
}

void Poller::watch(bool readable, bool writable) {
  const int want = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  if (want == watching_ || closing_) return;
  watching_ = want;
  if (want) {
    uv_poll_start(&handle_, want, on_poll);
  } else {
    uv_poll_stop(&handle_);
  }
}

void Poller::close() {
  if (closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t *>(&handle_), on_close);
}

void Poller::on_poll(uv_poll_t *h, int status, int events) {
  auto *p = static_cast<Poller *>(h->data);
  // An exception must not unwind through libuv's C frames (that is std::terminate): whatever a
  // handler could not allocate, the connection it was serving ends and the server goes on.
  try {
    if (status < 0) return p->events_->on_poll_failure();
    if (events & UV_WRITABLE) {
      p->events_->on_writable();
      if (p->closing_) return;
    }
    if (events & UV_READABLE) p->events_->on_readable();
  } catch (const std::exception &) {
    if (!p->closing_) p->events_->on_poll_failure();
  }
}

void Poller::on_close(uv_handle_t *h) {
  auto *p = static_cast<Poller *>(h->data);
  p->events_->on_poller_closed();
}

} // namespace uvhttp
