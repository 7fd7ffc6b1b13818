// The micro-cache's side of a connection (handlers/response_cache.h): a request to a cached route is
// answered from the cache, waits behind the same request already in JS, or goes to JS and fills the
// cache; a waiter whose answer could not be shared is routed again from its own head.
#include <exception>
#include <string>

#include "core/connection.h"
#include "http/conditional.h"
#include "http/field_name.h"
#include "http/parser.h"
#include "http/range.h"
#include "http/response.h"

namespace uvhttp {

bool Connection::answer_from_cache(uint32_t seq, ResponseCache &cache, uint32_t handler, const RouteMatch &m,
                                   const ParsedRequest &r, bool is_head, ConnectionHeader conn) {
  ServerContext &s = *ctx_;
  const RequestHead &head = *r.head;
  const std::string_view url(head.target + r.target->origin_offset, r.target->origin_len);
  std::string &key = s.cache_scratch;
  const size_t primary_len = cache.key(&key, url, head);
  const uint64_t t = now();
  bool stale = false;
  CachedResponse *hit = cache.find(key, t, &stale);
  std::string tagged;
  if (hit && stale) {
    // Past its ttl, within staleWhileRevalidate: one GET refreshes it in JS (and gets the fresh
    // answer); the others meanwhile get this one.
    try {
      tagged = key;
      tagged.append(reinterpret_cast<const char *>(&handler), sizeof(handler));
      if (!is_head && s.filling.count(tagged) == 0) hit = nullptr;
      else ++cache.stats().stale;
    } catch (const std::exception &) {
      // Out of memory: serve what is there.
    }
  }
  if (hit) {
    ++cache.stats().hits;
    const HeaderField *inm = nullptr, *range = nullptr, *if_range = nullptr;
    for (size_t i = 0; i < head.num_headers; ++i) {
      const HeaderField &h = head.headers[i];
      if (!hit->etag.empty() && field_name_is(h, "if-none-match")) inm = &h;
      else if (field_name_is(h, "range")) range = &h;
      else if (field_name_is(h, "if-range")) if_range = &h;
    }
    // A Range of a GET for a 200 answer, unless If-Range says the client's copy is another one
    // (RFC 9110 13.1.5). More than one range is answered whole, as a server may.
    ByteRange part{};
    size_t parts = 0;
    RangeResult ranged = RangeResult::Ignore;
    if (range && !is_head && !inm && hit->status() == 200 &&
        (!if_range || if_range_matches(std::string_view(if_range->value, if_range->value_len), hit->etag, false, 0))) {
      ranged = parse_range(std::string_view(range->value, range->value_len), hit->body.size(), &part, 1, &parts);
    }
    if (inm && none_match(std::string_view(inm->value, inm->value_len), hit->etag)) {
      // The client holds this answer already (RFC 9110 13.1.2): 304 with its validator.
      const std::string not_modified = "HTTP/1.1 304 Not Modified\r\nETag: " + hit->etag + "\r\nAge: " +
                                       std::to_string(hit->age(t)) + "\r\n";
      queue_.add_ready(seq, [&](std::string &out) { render(out, not_modified, {}, true, conn, s.date); });
      log_answer(seq, 304, 0);
    } else if (ranged != RangeResult::Ignore) {
      const bool ok = ranged == RangeResult::Satisfiable && parts == 1;
      const std::string partial = hit->partial_head(ok ? &part : nullptr, t);
      const std::string_view bytes = ok ? std::string_view(hit->body).substr(part.first, part.last - part.first + 1) : std::string_view();
      queue_.add_ready(seq, [&](std::string &out) { render(out, partial, bytes, false, conn, s.date); });
      log_answer(seq, ok ? 206 : 416, bytes.size());
    } else {
      const std::string_view aged = hit->head_at(t); // render adds Date and Connection
      queue_.add_ready(seq, [&](std::string &out) { render(out, aged, hit->body, is_head, conn, s.date); });
      log_answer(seq, status_code(hit->head), is_head ? 0 : hit->body.size());
    }
    mark_dirty();
    return true;
  }
  ++cache.stats().misses;
  try {
    if (tagged.empty()) {
      tagged = key;
      tagged.append(reinterpret_cast<const char *>(&handler), sizeof(handler));
    }
    const auto leader = s.filling.find(tagged);
    if (leader != s.filling.end()) {
      // The same request is in JS already: wait for its answer rather than run the handler again.
      const auto fill = s.fills.find(leader->second);
      if (fill != s.fills.end()) {
        fill->second.waiters.push_back(CacheWaiter{id_, seq, std::string(r.head_start, r.head_len)});
        queue_.reserve(seq, is_head, conn, session_.started());
        ++cache.stats().coalesced;
        return false;
      }
    }
    // A HEAD's answer is not kept: a handler may give it without the body the GET has.
    if (!dispatch_to_js(seq, m, r, is_head, conn) || is_head) return false;
    const ResponseId id{id_.slot, id_.serial, seq};
    s.fills.insert_or_assign(id, CacheFill{handler, key.substr(0, primary_len), tagged, std::string(r.head_start, r.head_len), {}, {}, {}});
    s.filling.insert_or_assign(std::move(tagged), id);
  } catch (const std::exception &) {
    // Out of memory: this answer is not kept (or this waiter was not parked: it went to JS above or
    // the connection closes below); the next request asks JS again.
    if (!queue_.owes(seq)) close();
  }
  return false;
}

void Connection::redispatch(uint32_t seq, const std::string &request) {
  if (phase_ == Phase::Closed || !queue_.owes(seq)) return;
  // The head was parsed and routed once already: it parses and routes the same way again.
  HeaderField fields[Session::kMaxHeaders];
  RequestHead head{};
  head.headers = fields;
  head.num_headers = Session::kMaxHeaders;
  RequestTarget t{};
  HttpError error;
  RouteMatch m;
  bool ok = parse_request(request.data(), request.size(), &head, 0) == static_cast<int>(request.size()) &&
            classify_target(std::string_view(head.method, head.method_len), std::string_view(head.target, head.target_len),
                            &t, &error);
  if (ok) {
    const std::string_view method(head.method, head.method_len);
    ctx_->router.match(method_from(method), method, route_path(std::string_view(head.target, head.target_len), t), &m);
    ok = m.result == RouteMatch::Result::Found && m.target.kind == RouteTarget::Kind::Dynamic;
  }
  if (ok) {
    MessageInfo info{};
    const ParsedRequest r{&head, &info, &t, request.data(), request.size(), nullptr, 0, false};
    const bool is_head = method_from(std::string_view(head.method, head.method_len)) == Method::Head;
    if (dispatch_to_js(seq, m, r, is_head, ConnectionHeader::None, false)) return;
  }
  respond(seq, 0, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n",
          "Internal Server Error");
}

} // namespace uvhttp
