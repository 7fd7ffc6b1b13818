// Where the pollers of one server get their readiness from: one of two backends behind one interface
// (io/poller.h), chosen when the server is made.
//
//   Epoll (Linux)  an edge-triggered epoll set of our own, nested in Node's loop by one uv_poll_t on
//                  its descriptor. A socket costs one epoll_ctl for its whole life (registered for
//                  every event at accept; close(2) removes it), where libuv's uv_poll_t pays five
//                  system calls to set up and tear down (an ADD/DEL probe, FIONBIO, two DELs).
//   Uv             a uv_poll_t per socket on Node's loop: the portable path, and the one that runs
//                  elsewhere than Linux (UVHTTP_POLLER=uv selects it on Linux, for tests and comparison).
//
// Edge-triggered readiness is turned back into the level-triggered contract PollerEvents promises:
// a poller remembers the edges it has not used up (a read that filled its buffer may leave more), and
// one that is ready for what it watches is delivered again on the next loop iteration.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

#include "io/socket_io.h"

namespace uvhttp {

class Poller;

enum class PollBackend : uint8_t { Uv, Epoll };

// Epoll where the system has it; anywhere else only Uv builds.
constexpr bool epoll_available() {
#ifdef __linux__
  return true;
#else
  return false;
#endif
}
constexpr PollBackend kDefaultPollBackend = epoll_available() ? PollBackend::Epoll : PollBackend::Uv;

class PollGroup {
public:
  // A backend this system does not build falls back to Uv.
  PollGroup(uv_loop_t *loop, PollBackend backend)
      : loop_(loop), backend_(backend == PollBackend::Epoll && !epoll_available() ? PollBackend::Uv : backend) {}
  ~PollGroup();
  PollGroup(const PollGroup &) = delete;
  PollGroup &operator=(const PollGroup &) = delete;

  uv_loop_t *loop() const { return loop_; }
  PollBackend backend() const { return backend_; }

  // Epoll: registers fd for the life of its socket. Returns 0 or a libuv error code.
  int add(socket_t fd, Poller *p);
  // Epoll: p has something to deliver on the next iteration, or has closed and waits to be released.
  // Never allocates: add() kept room for every registered poller.
  void defer(Poller *p);

  // Closes the group's own handles once nothing is registered; done(arg) is called when they are
  // closed. False when the group has none (done is not called).
  bool close(void (*done)(void *), void *arg);

private:
  struct Registration {
    Poller *poller;
    uint32_t generation; // tells this socket's events from a closed one's that had the same descriptor
  };
  int open_set();
  static void on_set_readable(uv_poll_t *h, int status, int events);
  static void on_idle(uv_idle_t *h);
  static void on_handle_closed(uv_handle_t *h);
  void dispatch();
  void run_deferred();
  void release(Poller *p);

  uv_loop_t *loop_;
  PollBackend backend_;
  // Epoll only, made by the first add().
  int epfd_ = -1;
  uv_poll_t set_handle_;
  uv_idle_t idle_; // runs deferred work; active only while there is some (it keeps the loop from blocking)
  int handles_ = 0;
  size_t registered_ = 0;
  uint32_t next_generation_ = 1;
  std::vector<Registration> by_fd_;
  std::vector<Poller *> deferred_;
  std::vector<Poller *> running_; // the deferred list being worked through
  void (*closed_done_)(void *) = nullptr;
  void *closed_arg_ = nullptr;
};

} // namespace uvhttp
