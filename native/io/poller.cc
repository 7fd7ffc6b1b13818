#include "io/poller.h"

#include <exception>
#include <new>

namespace uvhttp {

int Poller::start(PollGroup *group, socket_t fd, PollerEvents *events) {
  group_ = group;
  events_ = events;
  fd_ = fd;
  if (group->backend() == PollBackend::Epoll) return group->add(fd, this);
  uv_ = new (std::nothrow) uv_poll_t;
  if (!uv_) return UV_ENOMEM;
  uv_->data = this;
  const int r = uv_poll_init_socket(group->loop(), uv_, fd);
  if (r != 0) {
    delete uv_; // never started: libuv has no hold on it
    uv_ = nullptr;
  }
  return r;
}

void Poller::watch(bool readable, bool writable) {
  const uint8_t want = (readable ? kReadable : 0) | (writable ? kWritable : 0);
  if (want == watching_ || closing_) return;
  watching_ = want;
  if (!uv_) {
    // Nothing to tell the kernel: the socket is registered for every event. What is already ready
    // and newly watched comes on the next iteration.
    if (ready_ & watching_) group_->defer(this);
    return;
  }
  if (want) {
    uv_poll_start(uv_, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), on_uv_poll);
  } else {
    uv_poll_stop(uv_);
  }
}

long Poller::receive(char *buf, size_t len) {
  const long n = sock_recv(fd_, buf, len);
  // A stream socket returns less than asked only when its queue is empty; what arrives later is a new
  // edge. EAGAIN says the same. (EINTR and errors leave the readiness as it was; so does a short read
  // after a hang-up, whose end of stream is still to be read.)
  if ((n > 0 && static_cast<size_t>(n) < len && !(ready_ & kHungUp)) || (n < 0 && would_block(last_socket_error())))
    ready_ &= static_cast<uint8_t>(~kReadable);
  return n;
}

void Poller::close() {
  if (closing_) return;
  closing_ = true;
  if (uv_) {
    uv_close(reinterpret_cast<uv_handle_t *>(uv_), on_uv_close);
  } else if (group_) {
    group_->defer(this); // released on the next iteration, never from inside close()
  }
}

void Poller::on_edges(uint8_t edges) {
  ready_ |= edges;
  deliver_or_fail();
}

void Poller::deliver_or_fail() {
  // An exception must not unwind through libuv's C frames (that is std::terminate): whatever a
  // handler could not allocate, the connection it was serving ends and the server goes on.
  try {
    deliver();
  } catch (const std::exception &) {
    if (!closing_) events_->on_poll_failure();
  }
}

void Poller::deliver() {
  if (closing_) return;
  if (ready_ & watching_ & kWritable) {
    events_->on_writable();
    if (closing_) return;
  }
  if (ready_ & watching_ & kReadable) {
    events_->on_readable();
    if (closing_) return;
  }
  if (ready_ & watching_) group_->defer(this);
}

void Poller::on_uv_poll(uv_poll_t *h, int status, int events) {
  auto *p = static_cast<Poller *>(h->data);
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

void Poller::on_uv_close(uv_handle_t *h) {
  auto *p = static_cast<Poller *>(h->data);
  delete reinterpret_cast<uv_poll_t *>(h);
  p->uv_ = nullptr;
  p->events_->on_poller_closed();
}

} // namespace uvhttp
