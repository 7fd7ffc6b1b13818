#include "io/poll_group.h"

#include <cerrno>
#include <exception>

#include "io/poller.h"

#ifdef __linux__
#include <sys/epoll.h>
#include <unistd.h>
#endif

namespace uvhttp {

namespace {
// Events taken from the set per wake-up; the rest come on the next loop iteration (the set's
// descriptor stays readable), after this iteration's requests have been answered.
constexpr int kEventsPerWake = 256;
} // namespace

PollGroup::~PollGroup() {
#ifdef __linux__
  if (epfd_ >= 0) ::close(epfd_);
#endif
}

#ifdef __linux__

int PollGroup::open_set() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return uv_translate_sys_error(errno);
  int r = uv_poll_init(loop_, &set_handle_, epfd_);
  if (r != 0) {
    ::close(epfd_);
    epfd_ = -1;
    return r;
  }
  set_handle_.data = this;
  uv_idle_init(loop_, &idle_);
  idle_.data = this;
  handles_ = 2;
  uv_poll_start(&set_handle_, UV_READABLE, on_set_readable);
  // Only sockets keep the process alive, as their own uv_poll_t would: ref'd while one is registered.
  uv_unref(reinterpret_cast<uv_handle_t *>(&set_handle_));
  return 0;
}

int PollGroup::add(socket_t fd, Poller *p) {
  if (epfd_ < 0 && !closed_done_) {
    const int r = open_set();
    if (r != 0) return r;
  }
  if (epfd_ < 0 || fd < 0) return UV_EINVAL;
  const auto slot = static_cast<size_t>(fd);
  try {
    if (slot >= by_fd_.size()) by_fd_.resize(slot + 1 > 2 * by_fd_.size() ? slot + 1 : 2 * by_fd_.size());
    // Every registered poller may be deferred at once: room for all of them, so defer() never allocates.
    if (deferred_.capacity() <= registered_) deferred_.reserve(2 * (registered_ + 1));
    if (running_.capacity() <= registered_) running_.reserve(2 * (registered_ + 1));
  } catch (const std::exception &) {
    return UV_ENOMEM;
  }
  const uint32_t generation = next_generation_++;
  epoll_event ev{};
  // Every event, edge-triggered, once: watch() changes nothing in the kernel, and close(2) takes the
  // socket out of the set (no EPOLL_CTL_DEL).
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = static_cast<uint64_t>(slot) | (static_cast<uint64_t>(generation) << 32);
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return uv_translate_sys_error(errno);
  by_fd_[slot] = Registration{p, generation};
  if (registered_++ == 0) uv_ref(reinterpret_cast<uv_handle_t *>(&set_handle_));
  return 0;
}

void PollGroup::on_set_readable(uv_poll_t *h, int status, int) {
  if (status < 0) return;
  static_cast<PollGroup *>(h->data)->dispatch();
}

void PollGroup::dispatch() {
  epoll_event events[kEventsPerWake];
  const int n = epoll_wait(epfd_, events, kEventsPerWake, 0);
  for (int i = 0; i < n; ++i) {
    const uint64_t key = events[i].data.u64;
    const auto slot = static_cast<size_t>(key & 0xffffffffu);
    const auto generation = static_cast<uint32_t>(key >> 32);
    // A socket closed while a forked child still held it (between fork and exec) stays in the set
    // and may report events: its generation is not the one registered at its descriptor now.
    if (slot >= by_fd_.size() || by_fd_[slot].generation != generation || !by_fd_[slot].poller) continue;
    const uint32_t e = events[i].events;
    uint8_t edges = 0;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) edges |= Poller::kReadable;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) edges |= Poller::kWritable;
    if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) edges |= Poller::kHungUp;
    // A poller closed earlier in this batch is still here (released on the next iteration) and
    // ignores the event.
    by_fd_[slot].poller->on_edges(edges);
  }
}

#else

int PollGroup::open_set() { return UV_ENOTSUP; }
int PollGroup::add(socket_t, Poller *) { return UV_ENOTSUP; }
void PollGroup::on_set_readable(uv_poll_t *, int, int) {}
void PollGroup::dispatch() {}

#endif

void PollGroup::defer(Poller *p) {
  if (p->deferred_) return;
  p->deferred_ = true;
  deferred_.push_back(p); // within the capacity add() kept
  if (deferred_.size() == 1 && handles_ > 0 && !closed_done_) uv_idle_start(&idle_, on_idle);
}

void PollGroup::on_idle(uv_idle_t *h) { static_cast<PollGroup *>(h->data)->run_deferred(); }

void PollGroup::run_deferred() {
  running_.swap(deferred_);
  for (Poller *p : running_) {
    p->deferred_ = false;
    if (p->closing_) {
      release(p);
    } else {
      p->deliver_or_fail();
    }
  }
  running_.clear();
  if (deferred_.empty() && !closed_done_) uv_idle_stop(&idle_);
}

void PollGroup::release(Poller *p) {
  by_fd_[static_cast<size_t>(p->fd_)].poller = nullptr;
  if (--registered_ == 0) uv_unref(reinterpret_cast<uv_handle_t *>(&set_handle_));
  p->events_->on_poller_closed(); // the owner closes the socket, which leaves the set with it
}

bool PollGroup::close(void (*done)(void *), void *arg) {
  if (handles_ == 0 || closed_done_) return false;
  closed_done_ = done;
  closed_arg_ = arg;
  uv_close(reinterpret_cast<uv_handle_t *>(&set_handle_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t *>(&idle_), on_handle_closed);
  return true;
}

void PollGroup::on_handle_closed(uv_handle_t *h) {
  auto *g = static_cast<PollGroup *>(h->data);
  if (--g->handles_ > 0) return;
#ifdef __linux__
  ::close(g->epfd_);
#endif
  g->epfd_ = -1;
  g->closed_done_(g->closed_arg_);
}

} // namespace uvhttp
