#include "server.h"


#include <cstring>
#include <ctime>

#include "connection.h"

namespace uvhttp {

namespace {

constexpr int kBacklog = 4096;
constexpr uint32_t kSlotBits = 20;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr size_t kMaxClientErrorsPerIteration = 256;

uint64_t wall_ms() {
  uv_timeval64_t tv;
  uv_gettimeofday(&tv);
  return static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec) / 1000;
}

} // namespace

Server::Server(uv_loop_t *loop, const ServerOptions &options, JsBridge *bridge, BatchStorage *storage)
    : loop_(loop), options_(options), bridge_(bridge), batch_(storage),
      read_buffer_(new char[kReadBufferSize]) {}

Server::~Server() = default;

std::string Server::add_static(std::string_view method, std::string_view path, StaticResponse response) {
  RouteTarget t{RouteTarget::Kind::Static, static_cast<uint32_t>(statics_.size())};
  std::string err = router_.add(method, path, t);
  if (err.empty()) statics_.push_back(std::move(response));
  return err;
}

std::string Server::add_dynamic(std::string_view method, std::string_view path, uint32_t handler) {
  return router_.add(method, path, RouteTarget{RouteTarget::Kind::Dynamic, handler});
}

int Server::listen(const char *host, int port, std::string *bound_address, int *bound_port) {
  if (listening_ || closing_) return UV_EINVAL;
  sockaddr_storage addr{};
  if (uv_ip4_addr(host, port, reinterpret_cast<sockaddr_in *>(&addr)) != 0 &&
      uv_ip6_addr(host, port, reinterpret_cast<sockaddr_in6 *>(&addr)) != 0)
    return UV_EINVAL;

  int r = open_listener(reinterpret_cast<sockaddr *>(&addr), kBacklog, &listen_fd_);
  if (r) return r;
  r = uv_poll_init_socket(loop_, &listener_, listen_fd_);
  if (r) {
    close_socket(listen_fd_);
    listen_fd_ = kInvalidSocket;
    return r;
  }
  listener_.data = this;
  ++handles_open_;
  uv_poll_start(&listener_, UV_READABLE, on_accept);

  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&bound), &len);
  char name[INET6_ADDRSTRLEN] = {0};
  if (bound.ss_family == AF_INET6) {
    auto *a = reinterpret_cast<sockaddr_in6 *>(&bound);
    uv_ip6_name(a, name, sizeof(name));
    *bound_port = ntohs(a->sin6_port);
  } else {
    auto *a = reinterpret_cast<sockaddr_in *>(&bound);
    uv_ip4_name(a, name, sizeof(name));
    *bound_port = ntohs(a->sin_port);
  }
  *bound_address = name;

  // Both helpers are unref'd: only the listener and connections keep the process alive.
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, on_check);
  uv_unref(reinterpret_cast<uv_handle_t *>(&check_));
  uv_timer_init(loop_, &tick_);
  tick_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t *>(&tick_));
  handles_open_ += 2;
  helpers_started_ = true;
  date_.update(std::time(nullptr));
  schedule_tick();
  listening_ = true;
  return 0;
}

void Server::on_accept(uv_poll_t *listener, int status, int) {
  auto *s = static_cast<Server *>(listener->data);
  if (status < 0 || s->closing_) return;
  // Bounded, so one busy listener cannot starve the connections' reads in this iteration.
  for (int i = 0; i < 128; ++i) {
    socket_t fd = accept_socket(s->listen_fd_);
    if (fd == kInvalidSocket) {
      const int err = last_socket_error();
      if (interrupted(err)) continue;
      if (!would_block(err)) {
        // Out of descriptors (or another accept failure): the listener stays readable, so stop
        // watching it until the next tick instead of spinning.
        s->accept_paused_ = true;
        uv_poll_stop(&s->listener_);
      }
      return;
    }
    s->accept_connection(fd);
  }
}

void Server::accept_connection(socket_t fd) {
  if (options_.max_connections && stats_.connections >= options_.max_connections) {
    ++stats_.connections_rejected;
    close_socket(fd);
    return;
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() > kSlotMask) {
      close_socket(fd);
      return;
    }
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(nullptr);
    generations_.push_back(0);
  }
  const uint32_t gen = ++generations_[slot] & ((1u << (32 - kSlotBits)) - 1);
  auto *c = new Connection(this, (gen << kSlotBits) | slot, fd);
  if (!c->start()) {
    close_socket(fd);
    delete c;
    free_slots_.push_back(slot);
    return;
  }
  slots_[slot] = c;
  ++stats_.connections;
  ++stats_.connections_total;
}

Connection *Server::lookup(uint32_t id) const {
  const uint32_t slot = id & kSlotMask;
  if (slot >= slots_.size()) return nullptr;
  Connection *c = slots_[slot];
  return c && c->id() == id ? c : nullptr;
}

void Server::release(Connection *c) {
  const uint32_t slot = c->id() & kSlotMask;
  slots_[slot] = nullptr;
  free_slots_.push_back(slot);
  --stats_.connections;
  maybe_finish_close();
}

void Server::mark_dirty(Connection *c) {
  if (c->dirty_) return;
  c->dirty_ = true;
  dirty_.push_back(c->id());
}

void Server::report_client_error(int status, std::string_view reason) {
  if (client_errors_.size() < kMaxClientErrorsPerIteration) client_errors_.emplace_back(status, reason);
}

void Server::run_pending_batch() {
  if (batch_.count() == 0) return;
  const uint32_t n = batch_.count();
  in_batch_ = true;
  bridge_->run_batch(n);
  in_batch_ = false;
  batch_.clear();
}

// Runs once per loop iteration, after the poll phase has delivered this iteration's reads.
void Server::on_check(uv_check_t *check) {
  auto *s = static_cast<Server *>(check->data);
  s->run_pending_batch();
  s->flush_all();
  // Output that drained while flushing lets a backlogged connection parse the requests it kept; any
  // that go to JS must not wait for the next loop iteration, which may be far off.
  for (int rounds = 0; rounds < 8 && s->batch_.count() > 0; ++rounds) {
    s->run_pending_batch();
    s->flush_all();
  }
  if (!s->client_errors_.empty()) {
    auto errors = std::move(s->client_errors_);
    s->client_errors_.clear();
    for (const auto &e : errors) s->bridge_->client_error(e.first, e.second);
  }
}

void Server::flush_all() {
  if (in_batch_) return; // the batch's end flushes
  // Index loop: a flush may close a connection, never add to the list.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    if (Connection *c = lookup(dirty_[i])) c->flush();
  }
  dirty_.clear();
}

void Server::take_responses(const uint8_t *data, int32_t *records) {
  const int32_t n = records[0];
  const int32_t *r = records + 1;
  for (int32_t i = 0; i < n; ++i, r += 5) {
    Connection *c = lookup(static_cast<uint32_t>(r[0]));
    if (!c || c->closing()) continue;
    const char *head = reinterpret_cast<const char *>(data) + r[2];
    c->respond(static_cast<uint32_t>(r[1]), std::string_view(head, static_cast<size_t>(r[3])),
               std::string_view(head + r[3], static_cast<size_t>(r[4])));
  }
  records[0] = 0;
}

void Server::schedule_tick() {
  // Fire just after each wall-clock second so Date changes when the second does.
  uv_timer_start(&tick_, on_tick, 1000 - wall_ms() % 1000 + 1, 0);
}

void Server::on_tick(uv_timer_t *timer) {
  auto *s = static_cast<Server *>(timer->data);
  s->date_.update(std::time(nullptr));
  if (s->accept_paused_ && s->listening_) {
    s->accept_paused_ = false;
    uv_poll_start(&s->listener_, UV_READABLE, on_accept);
  }
  s->sweep_timeouts();
  s->flush_all();
  if (!s->helpers_closing_) s->schedule_tick();
}

void Server::sweep_timeouts() {
  const uint64_t now = uv_now(loop_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (Connection *c = slots_[i]) c->check_timeouts(now);
  }
}

void Server::close() {
  if (closing_) return;
  closing_ = true;
  if (listening_) {
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t *>(&listener_), on_listener_closed);
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (Connection *c = slots_[i]) c->close_when_idle();
  }
  maybe_finish_close();
}

void Server::maybe_finish_close() {
  if (!closing_ || stats_.connections > 0) return;
  if (helpers_started_ && !helpers_closing_) {
    helpers_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t *>(&check_), on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t *>(&tick_), on_handle_closed);
  }
  if (handles_open_ == 0 && !closed_reported_) {
    closed_reported_ = true;
    bridge_->closed();
  }
}

void Server::on_listener_closed(uv_handle_t *h) {
  auto *s = static_cast<Server *>(h->data);
  close_socket(s->listen_fd_);
  s->listen_fd_ = kInvalidSocket;
  on_handle_closed(h);
}

void Server::on_handle_closed(uv_handle_t *h) {
  auto *s = static_cast<Server *>(h->data);
  --s->handles_open_;
  s->maybe_finish_close();
}

} // namespace uvhttp
