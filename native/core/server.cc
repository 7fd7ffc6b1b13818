#include "core/server.h"

#include <ctime>
#include <exception>
#include <new>

#include "core/connection.h"

namespace uvhttp {

namespace {

constexpr int kBacklog = 4096;
// Accepts per readiness event, so one busy listener cannot starve the connections' reads.
constexpr int kAcceptsPerEvent = 128;

uint64_t wall_ms() {
  uv_timeval64_t tv;
  uv_gettimeofday(&tv);
  return static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec) / 1000;
}

} // namespace

Server::Server(uv_loop_t *loop, const ServerOptions &options, JsBridge *bridge, BatchStorage *storage)
    : ctx_(loop, options, storage), bridge_(bridge) {}

Server::~Server() = default;

int Server::set_access_log(const std::string &path, AccessLogFormat format) {
  int err = 0;
  std::unique_ptr<AccessLog> log = AccessLog::open(path, format, &err);
  if (!log) return err;
  if (ctx_.access_log) ctx_.access_log->flush();
  ctx_.access_log = std::move(log);
  return 0;
}

RouteError Server::add_static(std::string_view method, std::string_view path, StaticResponse response) {
  RouteTarget t{RouteTarget::Kind::Static, static_cast<uint32_t>(ctx_.statics.size())};
  RouteError err = ctx_.router.add(method, path, t);
  if (!err) ctx_.statics.push_back(std::move(response));
  return err;
}

RouteError Server::add_dynamic(std::string_view method, std::string_view path, uint32_t handler, RouteBody body) {
  RouteError err = ctx_.router.add(method, path, RouteTarget{RouteTarget::Kind::Dynamic, handler});
  if (!err) set_route_body(handler, body);
  return err;
}

void Server::set_route_body(uint32_t handler, RouteBody body) {
  if (!body.stream && !body.has_limit) {
    if (handler < ctx_.route_bodies.size()) ctx_.route_bodies[handler] = body;
    return; // the default: most apps never grow the table
  }
  if (handler >= ctx_.route_bodies.size()) ctx_.route_bodies.resize(handler + 1);
  ctx_.route_bodies[handler] = body;
}

std::string Server::add_files(std::string_view prefix, const std::string &root, MountOptions options,
                              std::string_view types) {
  if (!ctx_.files) {
    ctx_.files = std::make_unique<StaticFiles>(ctx_.options.file_cache);
    ctx_.files->load_types(types);
  }
  return ctx_.files->mount(prefix, root, std::move(options));
}

int Server::listen(const ListenSpec &spec, std::string *bound_address, int *bound_port) {
  if (listening_ || ctx_.closing) return UV_EINVAL;
  const int backlog = spec.backlog > 0 ? spec.backlog : kBacklog;
  int r = 0;
  switch (spec.kind) {
  case ListenSpec::Kind::Tcp: {
    sockaddr_storage addr{};
    if (uv_ip4_addr(spec.host.c_str(), spec.port, reinterpret_cast<sockaddr_in *>(&addr)) != 0 &&
        uv_ip6_addr(spec.host.c_str(), spec.port, reinterpret_cast<sockaddr_in6 *>(&addr)) != 0)
      return UV_EINVAL;
    r = open_listener(reinterpret_cast<sockaddr *>(&addr), backlog, spec.reuse_port, &listen_fd_);
    break;
  }
#ifndef _WIN32
  case ListenSpec::Kind::Unix:
    r = open_unix_listener(spec.path, backlog, spec.mode, &listen_fd_);
    if (r == 0) unix_path_ = spec.path;
    break;
  case ListenSpec::Kind::Fd:
    r = adopt_listener(spec.fd);
    if (r == 0) listen_fd_ = spec.fd;
    break;
#else
  default:
    return UV_ENOTSUP;
#endif
  }
  if (r) return r;
  r = uv_poll_init_socket(ctx_.loop, &listener_, listen_fd_);
  if (r) {
    if (spec.kind != ListenSpec::Kind::Fd) close_socket(listen_fd_);
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
  *bound_port = 0;
  if (bound.ss_family == AF_INET6) {
    auto *a = reinterpret_cast<sockaddr_in6 *>(&bound);
    uv_ip6_name(a, name, sizeof(name));
    *bound_port = ntohs(a->sin6_port);
    *bound_address = name;
  } else if (bound.ss_family == AF_INET) {
    auto *a = reinterpret_cast<sockaddr_in *>(&bound);
    uv_ip4_name(a, name, sizeof(name));
    *bound_port = ntohs(a->sin_port);
    *bound_address = name;
#ifndef _WIN32
  } else if (bound.ss_family == AF_UNIX) {
    *bound_address = reinterpret_cast<sockaddr_un *>(&bound)->sun_path;
#endif
  }

  start_helpers();
  listening_ = true;
  return 0;
}

void Server::start_helpers() {
  if (helpers_started_) return;
  // Both helpers are unref'd: only the listener and connections keep the process alive.
  uv_check_init(ctx_.loop, &check_);
  check_.data = this;
  uv_check_start(&check_, on_check);
  uv_unref(reinterpret_cast<uv_handle_t *>(&check_));
  uv_timer_init(ctx_.loop, &tick_);
  tick_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t *>(&tick_));
  handles_open_ += 2;
  helpers_started_ = true;
  ctx_.date.update(std::time(nullptr));
  schedule_tick();
}

socket_t Server::inject() {
  if (ctx_.closing) return kInvalidSocket;
  socket_t pair[2];
  if (!socket_pair(pair)) return kInvalidSocket;
  start_helpers();
  const uint64_t before = ctx_.stats.connections_total;
  accept_connection(pair[0], true); // closes it when it cannot take it
  if (ctx_.stats.connections_total == before) {
    close_socket(pair[1]);
    return kInvalidSocket;
  }
  return pair[1];
}

// Accepting ------------------------------------------------------------------------------------

void Server::on_accept(uv_poll_t *listener, int status, int) {
  auto *s = static_cast<Server *>(listener->data);
  if (status < 0 || s->ctx_.closing) return;
  try {
    s->accept_connections();
  } catch (const std::exception &) {
    // Out of memory for a new connection: it was refused; the listener stays up.
  }
}

void Server::accept_connections() {
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    socket_t fd = accept_socket(listen_fd_);
    if (fd == kInvalidSocket) {
      const int err = last_socket_error();
      if (would_block(err)) return;
      if (classify_accept_error(err) == AcceptFailure::Retry) continue; // that connection failed
      // Out of descriptors or memory: the listener stays readable, so stop watching it until the
      // next tick instead of spinning.
      accept_paused_ = true;
      uv_poll_stop(&listener_);
      return;
    }
    accept_connection(fd, false);
  }
}

void Server::accept_connection(socket_t fd, bool injected) {
  ServerStats &st = ctx_.stats;
  if (ctx_.options.max_connections && st.connections >= ctx_.options.max_connections) {
    ++st.connections_rejected;
    close_socket(fd);
    return;
  }
  ConnectionId id;
  if (!table_.claim(&id)) {
    close_socket(fd);
    return;
  }
  // Each connection is listed at most once: with room for all, marking one dirty never allocates.
  if (ctx_.dirty.capacity() < table_.size()) {
    try {
      ctx_.dirty.reserve(2 * table_.size());
    } catch (const std::exception &) {
      close_socket(fd);
      table_.release(id);
      return;
    }
  }
  Connection *c = connection_pool_.make(&ctx_, static_cast<ConnectionOwner *>(this), id, fd);
  if (!c || !c->start(ctx_.options.proxy_protocol && !injected)) {
    close_socket(fd);
    connection_pool_.destroy(c);
    table_.release(id);
    return;
  }
  table_.attach(id, c);
  ++st.connections;
  ++st.connections_total;
}

void Server::connection_closed(Connection *c) {
  table_.release(c->id());
  connection_pool_.destroy(c);
  --ctx_.stats.connections;
  maybe_finish_close();
}

// Once per loop iteration ----------------------------------------------------------------------

void Server::run_pending_batch() {
  if (ctx_.batch.count() == 0) return;
  const uint32_t n = ctx_.batch.count();
  ctx_.in_batch = true;
  bridge_->run_batch(n);
  ctx_.in_batch = false;
  ctx_.batch.clear();
}

// Runs once per loop iteration, after the poll phase has delivered this iteration's reads.
void Server::on_check(uv_check_t *check) {
  auto *s = static_cast<Server *>(check->data);
  try {
    s->iteration();
  } catch (const std::exception &) {
    // Out of memory entering JS or reporting to it (connections handle their own): the next
    // iteration tries again.
  }
}

void Server::iteration() {
  run_pending_batch();
  redispatch_waiters();
  flush_all();
  // Output that drained while flushing lets a backlogged connection parse the requests it kept; any
  // that go to JS must not wait for the next loop iteration, which may be far off. So do cache
  // waiters whose answer was not kept.
  for (int rounds = 0; rounds < 8 && ctx_.batch.count() > 0; ++rounds) {
    run_pending_batch();
    redispatch_waiters();
    flush_all();
  }
  report_events();
  if (!ctx_.client_errors.empty()) {
    auto errors = std::move(ctx_.client_errors);
    ctx_.client_errors.clear();
    for (const auto &e : errors) bridge_->client_error(e.first, e.second);
  }
}

void Server::report_events() {
  if (ctx_.in_batch) return; // the batch's end reports
  if (!ctx_.aborted.empty()) {
    std::vector<uint32_t> words;
    words.reserve(ctx_.aborted.size() * 4);
    for (const AbortedResponses &a : ctx_.aborted) {
      forget_fills(a);
      words.push_back(a.id.slot);
      words.push_back(static_cast<uint32_t>(a.id.serial));
      words.push_back(static_cast<uint32_t>(a.id.serial >> 32));
      words.push_back(a.from_seq);
    }
    ctx_.aborted.clear();
    bridge_->responses_aborted(words.data(), words.size() / 4);
  }
  const auto ids = [](std::vector<ConnectionId> &list) {
    std::vector<uint32_t> words;
    words.reserve(list.size() * 3);
    for (const ConnectionId &id : list) {
      words.push_back(id.slot);
      words.push_back(static_cast<uint32_t>(id.serial));
      words.push_back(static_cast<uint32_t>(id.serial >> 32));
    }
    list.clear();
    return words;
  };
  if (!ctx_.drained.empty()) {
    const std::vector<uint32_t> words = ids(ctx_.drained);
    bridge_->connections_drained(words.data(), words.size() / 3);
  }
  if (!ctx_.bodies_ready.empty()) {
    const std::vector<uint32_t> words = ids(ctx_.bodies_ready);
    bridge_->bodies_ready(words.data(), words.size() / 3);
  }
}

Connection::BodyRead Server::take_body(uint32_t slot, uint64_t serial, uint32_t seq, std::string *out, HttpError *error) {
  Connection *c = table_.find(slot, serial);
  if (!c) return Connection::BodyRead::Gone;
  const Connection::BodyRead r = c->take_body(seq, out, error);
  flush_all(); // a 100 Continue, or parsing resumed after the body
  return r;
}

void Server::flush_from_js(const ResponseOutput &out) {
  take_responses(out);
  flush_all();
  report_events();
}

void Server::flush_all() {
  if (ctx_.in_batch) return; // the batch's end flushes
  // Index loop: a flush may add connections (resumed parsing) and close them, never remove entries.
  for (size_t i = 0; i < ctx_.dirty.size(); ++i) {
    if (Connection *c = table_.find(ctx_.dirty[i])) c->flush();
  }
  ctx_.dirty.clear();
}

void Server::take_responses(const ResponseOutput &out) {
  int32_t *records = out.records;
  const auto n = static_cast<size_t>(static_cast<uint32_t>(records[0]));
  const size_t count = n < out.max_records ? n : out.max_records;
  const int32_t *r = records + 1;
  for (size_t i = 0; i < count; ++i, r += kResponseWords) {
    const auto word = [r](size_t k) { return static_cast<uint64_t>(static_cast<uint32_t>(r[k])); };
    const uint64_t serial = word(1) | (word(2) << 32);
    const uint64_t start = word(4), head_len = word(5), body_len = word(6);
    if (start + head_len + body_len > out.data_len) continue; // a record JS could not have written
    Connection *c = table_.find(static_cast<uint32_t>(r[0]), serial);
    const char *head = reinterpret_cast<const char *>(out.data) + start;
    if (!ctx_.fills.empty()) {
      fill_cache(ResponseId{static_cast<uint32_t>(r[0]), serial, static_cast<uint32_t>(r[3])}, static_cast<uint32_t>(r[7]),
                 std::string_view(head, head_len), std::string_view(head + head_len, body_len));
    }
    if (!c || !c->respond(static_cast<uint32_t>(r[3]), static_cast<uint32_t>(r[7]), std::string_view(head, head_len),
                          std::string_view(head + head_len, body_len)))
      ++ctx_.stats.responses_dropped; // its connection has gone, or it was answered already
  }
  records[0] = 0;
}

// The micro-cache -------------------------------------------------------------------------------

void Server::set_cache(uint32_t handler, CachePolicy policy) {
  if (ctx_.caches.size() <= handler) ctx_.caches.resize(handler + 1);
  ctx_.caches[handler] = std::make_unique<ResponseCache>(std::move(policy));
}

void Server::fill_cache(const ResponseId &id, uint32_t part_and_flags, std::string_view head, std::string_view body) {
  const auto it = ctx_.fills.find(id);
  if (it == ctx_.fills.end()) return;
  ResponseCache *cache = ctx_.cache_for(it->second.handler);
  using response_record::Part;
  const auto part = static_cast<Part>(part_and_flags & response_record::kPartMask);
  std::string whole_head, whole_body; // a streamed answer, made whole
  bool keep = cache != nullptr;
  if (part == Part::Start || part == Part::More || part == Part::Last) {
    CacheFill &f = it->second;
    // A body that ends with the close has no length a hit could send.
    keep = keep && (part_and_flags & response_record::kCloseDelimited) == 0;
    try {
      if (keep && part == Part::Start) f.head.assign(head.data(), head.size());
      // The answer is kept only if it fits the cache's bound: no more than that is held meanwhile.
      keep = keep && f.body.size() + body.size() <= cache->max_bytes();
      if (keep) f.body.append(body.data(), body.size());
      if (keep && part != Part::Last) return; // more to come
      keep = keep && unframe_streamed(f.head, f.body, &whole_head, &whole_body);
    } catch (const std::exception &) {
      keep = false; // out of memory: not kept
    }
    if (keep) {
      head = whole_head;
      body = whole_body;
    }
  } else if (part == Part::Abort) {
    keep = false;
  }
  // The fill is done: kept or not, its waiters are answered or sent to JS.
  CacheFill fill = std::move(it->second);
  ctx_.fills.erase(it);
  ctx_.filling.erase(fill.tagged);
  const uint64_t now = uv_now(ctx_.loop);
  CachedResponse *kept = nullptr;
  std::string stored, key;
  if (keep) {
    try {
      if (cache->offer(fill.primary, fill.request, head, body, now, &stored)) kept = cache->find(stored, now);
    } catch (const std::exception &) {
      // Out of memory: not kept.
    }
  }
  for (CacheWaiter &w : fill.waiters) {
    bool same = kept != nullptr;
    if (same && stored.size() != fill.primary.size()) {
      // The answer varies on fields of its own: only a waiter that sent the same values may have it.
      try {
        same = cache->key_of(&key, fill.primary, w.request) && key == stored;
      } catch (const std::exception &) {
        same = false;
      }
    }
    if (same) {
      // The answer is shareable: each waiter gets it as a hit would.
      if (Connection *c = table_.find(w.conn)) c->respond(w.seq, 0, kept->head_at(now), kept->body);
    } else {
      release_waiter(std::move(w));
    }
  }
}

void Server::forget_fills(const AbortedResponses &a) {
  // The answers JS will never give (their connection ended): nothing will fill these, and what waits
  // for them asks JS itself.
  for (auto it = ctx_.fills.begin(); it != ctx_.fills.end();) {
    const ResponseId &r = it->first;
    if (r.slot != a.id.slot || r.serial != a.id.serial || r.seq - a.from_seq >= 0x80000000u) {
      ++it;
      continue;
    }
    ctx_.filling.erase(it->second.tagged);
    for (CacheWaiter &w : it->second.waiters) release_waiter(std::move(w));
    it = ctx_.fills.erase(it);
  }
}

void Server::release_waiter(CacheWaiter &&w) {
  try {
    ctx_.redispatch.push_back(std::move(w));
  } catch (const std::exception &) {
    if (Connection *c = table_.find(w.conn)) c->close(); // out of memory: its client gets a closed connection
    return;
  }
  // From JS (an answer given after an await), the loop may sleep until the next I/O: wake it now.
  if (!ctx_.in_batch && helpers_started_ && !helpers_closing_) uv_timer_start(&tick_, on_tick, 0, 0);
}

void Server::redispatch_waiters() {
  if (ctx_.redispatch.empty() || ctx_.in_batch) return;
  std::vector<CacheWaiter> waiters = std::move(ctx_.redispatch);
  ctx_.redispatch.clear();
  for (const CacheWaiter &w : waiters) {
    if (Connection *c = table_.find(w.conn)) c->redispatch(w.seq, w.request);
  }
}

size_t Server::purge_cache(std::string_view path) {
  size_t n = 0;
  for (const auto &cache : ctx_.caches)
    if (cache) n += cache->purge(path);
  return n;
}

CacheStats Server::cache_stats(size_t *entries, size_t *bytes) const {
  CacheStats total;
  *entries = 0;
  *bytes = 0;
  for (const auto &cache : ctx_.caches) {
    if (!cache) continue;
    const CacheStats &s = cache->stats();
    total.hits += s.hits;
    total.misses += s.misses;
    total.stores += s.stores;
    total.evictions += s.evictions;
    total.coalesced += s.coalesced;
    total.stale += s.stale;
    *entries += cache->entries();
    *bytes += cache->bytes();
  }
  return total;
}

// Time -----------------------------------------------------------------------------------------

void Server::schedule_tick() {
  // Fire just after each wall-clock second so Date changes when the second does.
  uv_timer_start(&tick_, on_tick, 1000 - wall_ms() % 1000 + 1, 0);
}

void Server::on_tick(uv_timer_t *timer) {
  auto *s = static_cast<Server *>(timer->data);
  s->ctx_.date.update(std::time(nullptr));
  if (s->accept_paused_ && s->listening_) {
    s->accept_paused_ = false;
    uv_poll_start(&s->listener_, UV_READABLE, on_accept);
  }
  s->sweep_timeouts(); // connections catch their own failures: nothing here throws
  // Cache waiters released outside a batch (release_waiter woke the loop for them).
  if (!s->ctx_.redispatch.empty()) {
    s->redispatch_waiters();
    s->run_pending_batch();
  }
  s->flush_all();
  if (s->ctx_.access_log) s->ctx_.access_log->flush();
  try {
    s->report_events();
  } catch (const std::exception &) {
    // Out of memory reporting: the next iteration's report tries again.
  }
  if (!s->helpers_closing_) s->schedule_tick();
}

void Server::sweep_timeouts() {
  const uint64_t now = uv_now(ctx_.loop);
  if (close_deadline_ != 0 && now >= close_deadline_) {
    close_deadline_ = 0;
    table_.for_each([this](Connection *c) {
      if (c->closed()) return;
      ++ctx_.stats.connections_forced;
      c->close();
    });
    return;
  }
  table_.for_each([now](Connection *c) { c->check_timeouts(now); });
}

bool Server::peer(uint32_t slot, uint64_t serial, std::string *address, int *port) const {
  const Connection *c = table_.find(slot, serial);
  return c && !c->closed() && c->peer(address, port);
}

size_t Server::buffered_bytes() const {
  size_t total = 0;
  table_.for_each([&total](Connection *c) { total += c->buffered_capacity(); });
  return total;
}

// Closing --------------------------------------------------------------------------------------

void Server::close(uint64_t timeout_ms) {
  if (ctx_.closing) return;
  ctx_.closing = true;
  if (listening_) {
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t *>(&listener_), on_listener_closed);
  }
  if (timeout_ms > 0) close_deadline_ = uv_now(ctx_.loop) + timeout_ms;
  table_.for_each([](Connection *c) { c->finish_gracefully(); });
  flush_all();
  maybe_finish_close();
}

void Server::maybe_finish_close() {
  if (!ctx_.closing || ctx_.stats.connections > 0) return;
  if (ctx_.access_log) ctx_.access_log->flush(); // the last lines are out before close() resolves
  if (helpers_started_ && !helpers_closing_) {
    helpers_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t *>(&check_), on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t *>(&tick_), on_handle_closed);
    if (ctx_.polls.close(on_polls_closed, this)) ++handles_open_;
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
#ifndef _WIN32
  if (!s->unix_path_.empty()) ::unlink(s->unix_path_.c_str());
#endif
  on_handle_closed(h);
}

void Server::on_handle_closed(uv_handle_t *h) { on_polls_closed(h->data); }

void Server::on_polls_closed(void *server) {
  auto *s = static_cast<Server *>(server);
  --s->handles_open_;
  s->maybe_finish_close();
}

} // namespace uvhttp
