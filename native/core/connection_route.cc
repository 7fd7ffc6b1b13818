// Where a routed request goes: a static route's answer, a mounted directory, the micro-cache
// (connection_cache.cc), a JS handler, or an error. Apart from the reading, writing and lifecycle in
// connection.cc, which do not depend on what answers a request.
#include <memory>
#include <string>

#include "core/connection.h"
#include "core/router.h"
#include "handlers/static_files.h"
#include "http/http_errors.h"
#include "http/response.h"

namespace uvhttp {

namespace {

// What a file may be asked with (other methods get 405).
const std::string kGetHead = "GET, HEAD";

} // namespace

bool Connection::on_request(const ParsedRequest &r) {
  ++ctx_->stats.requests;
  const uint32_t seq = next_seq_++;
  // A streamed body that no handler took (a directory answered, or the batch was full) is dropped as
  // it comes: only dispatch_to_js makes body_.
  const bool more = route_request(seq, r);
  if (log_) ctx_->access_log->keep(*log_);
  return more;
}

bool Connection::route_request(uint32_t seq, const ParsedRequest &r) {
  ServerContext &s = *ctx_;
  const RequestHead &head = *r.head;
  const bool keep = r.info->keep_alive && !s.closing;
  const ConnectionHeader conn = !keep                    ? ConnectionHeader::Close
                                : head.minor_version == 0 ? ConnectionHeader::KeepAlive
                                                          : ConnectionHeader::None;
  if (!keep) enter_finishing(); // the session stops after this request: we return false
  if (log_) log_begin(seq, head);
  const std::string_view method(head.method, head.method_len);
  const Method kind = method_from(method);
  const bool is_head = kind == Method::Head;
  const RequestTarget &t = *r.target;
  if (t.form == TargetForm::Asterisk) {
    // OPTIONS * asks about the server as a whole: the methods that have routes.
    const std::string &allow = s.router.methods();
    queue_.add_ready(seq, [&](std::string &out) {
      std::string head_fields = "HTTP/1.1 204 No Content\r\nAllow: " + allow + "\r\n";
      render(out, head_fields, {}, true, conn, s.date);
    });
    log_answer(seq, 204, 0);
    mark_dirty();
    return keep;
  }
  // Absolute-form is routed by its path; an empty path means "/" (RFC 9110 4.2.3).
  const std::string_view url(head.target + t.origin_offset, t.origin_len);
  const std::string_view path = route_path(std::string_view(head.target, head.target_len), t);

  RouteMatch m;
  s.router.match(kind, method, path, &m);
  if (m.result == RouteMatch::Result::Found && m.target.kind == RouteTarget::Kind::Static) {
    const StaticResponse &sr = s.statics[m.target.index];
    queue_.add_ready(seq, [&](std::string &out) { render(out, sr.head, sr.body, is_head, conn, s.date); });
    log_answer(seq, status_code(sr.head), is_head ? 0 : sr.body.size());
    mark_dirty();
    return keep;
  }
  if (m.result == RouteMatch::Result::Found) {
    ResponseCache *cache = s.cache_for(m.target.index);
    if (cache && (kind == Method::Get || is_head) && r.body_len == 0 && !r.body_follows) {
      answer_from_cache(seq, *cache, m.target.index, m, r, is_head, conn);
      return keep;
    }
    dispatch_to_js(seq, m, r, is_head, conn);
    return keep;
  }
  if (m.result == RouteMatch::Result::NotFound) {
    if (s.files && answer_from_files(seq, kind, head, url, t, path, conn)) return keep;
    if (s.fallback) {
      // What neither a route nor a directory took goes to the app's fallback handler (app.fetch),
      // as a route without params; a pattern tried on the way may have left some behind.
      m.result = RouteMatch::Result::Found;
      m.target = RouteTarget{RouteTarget::Kind::Dynamic, *s.fallback};
      m.num_params = 0;
      dispatch_to_js(seq, m, r, is_head, conn);
      return keep;
    }
    deliver_error(seq, HttpError::NotFound, nullptr, is_head, conn);
  } else if (s.not_allowed) {
    m.result = RouteMatch::Result::Found;
    m.target = RouteTarget{RouteTarget::Kind::Dynamic, *s.not_allowed};
    m.num_params = 0;
    dispatch_to_js(seq, m, r, is_head, conn);
  } else {
    deliver_error(seq, HttpError::MethodNotAllowed, m.allow, is_head, conn);
  }
  return keep;
}

bool Connection::dispatch_to_js(uint32_t seq, const RouteMatch &m, const ParsedRequest &r, bool is_head,
                                ConnectionHeader conn, bool reserve) {
  ServerContext &s = *ctx_;
  const RequestHead &head = *r.head;
  const RequestTarget &t = *r.target;
  const std::string_view url(head.target + t.origin_offset, t.origin_len);
  const uint32_t flags = (is_head ? batch::kFlagHead : 0) | (head.minor_version == 0 ? batch::kFlagHttp10 : 0) |
                         (r.body_follows ? batch::kFlagBodyStream : 0);
  if (s.batch.add(id_.slot, id_.serial, seq, m.target.index, flags, head, r.head_start, r.head_len, url,
                  t.path_len, r.body, r.body_len, m)) {
    ++s.stats.js_dispatches;
    if (reserve) queue_.reserve(seq, is_head, conn, session_.started());
    if (r.body_follows) {
      body_ = std::make_unique<RequestBody>(seq, r.info->expect_continue);
      last_body_progress_ = now();
    }
    return true;
  }
  // The batch buffers could not grow.
  if (reserve) deliver_error(seq, HttpError::OutOfMemory, nullptr, is_head, conn);
  return false;
}

bool Connection::answer_from_files(uint32_t seq, Method kind, const RequestHead &head, std::string_view url,
                                   const RequestTarget &t, std::string_view path, ConnectionHeader conn) {
  const bool has_query = url.size() > t.path_len;
  const FileRequest request{kind, path, has_query ? url.substr(t.path_len + 1) : std::string_view(), has_query, &head};
  FileReply reply;
  StaticFiles &files = *ctx_->files;
  files.handle(request, now(), &reply);
  switch (reply.kind) {
  case FileReply::Kind::Pass: files.done(); return false;
  case FileReply::Kind::Error:
    files.done();
    deliver_error(seq, reply.error, reply.error == HttpError::MethodNotAllowed ? &kGetHead : nullptr,
                  kind == Method::Head, conn);
    return true;
  case FileReply::Kind::Response: break;
  }
  if (reply.parts->empty() || reply.omit_body) {
    // A small file from memory: the same path as a static route.
    queue_.add_ready(seq, [&](std::string &out) { render(out, reply.head, reply.body, reply.omit_body, conn, ctx_->date); });
    log_answer(seq, status_code(reply.head), reply.omit_body ? 0 : reply.body.size());
    files.done();
    mark_dirty();
    return true;
  }
  uint64_t body_bytes = 0;
  queue_.add_ready_parts(seq, [&](OutputQueue::Writer &w) {
    render(w.bytes(), reply.head, reply.body, reply.omit_body, conn, ctx_->date);
    if (reply.omit_body) return;
    body_bytes = reply.body.size();
    for (const BodyPart &part : *reply.parts) {
      if (part.file.file) {
        w.file(part.file);
        body_bytes += part.file.length;
      } else {
        w.bytes().append(part.bytes);
        body_bytes += part.bytes.size();
      }
    }
  });
  log_answer(seq, status_code(reply.head), body_bytes);
  files.done();
  mark_dirty();
  return true;
}

} // namespace uvhttp
