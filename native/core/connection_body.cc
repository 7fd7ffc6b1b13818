// A request body streaming to a JS handler (core/request_body.h): what the session hands in, what JS
// takes out, and the 100 Continue that lets the client send it. Apart because the rest of the
// connection only hands a body over (dispatch_to_js), fails it or lets it go.
#include <exception>
#include <string>

#include "core/connection.h"

namespace uvhttp {

BodyPlan Connection::plan_body(const RequestHead &head, const MessageInfo &, const RequestTarget &t,
                               uint64_t default_limit) {
  // Only a JS route can take a body as it comes, so the route is looked up now, at the end of the head.
  const std::string_view method(head.method, head.method_len);
  const std::string_view path = route_path(std::string_view(head.target, head.target_len), t);
  if (t.form == TargetForm::Asterisk) return BodyPlan{default_limit, false};
  RouteMatch m;
  ctx_->router.match(method_from(method), method, path, &m);
  uint32_t handler;
  if (m.result == RouteMatch::Result::Found && m.target.kind == RouteTarget::Kind::Dynamic) {
    handler = m.target.index;
  } else if (m.result == RouteMatch::Result::NotFound && ctx_->fallback) {
    handler = *ctx_->fallback; // unless a mounted directory answers it: then its body is dropped
  } else if (m.result == RouteMatch::Result::MethodNotAllowed && ctx_->not_allowed) {
    handler = *ctx_->not_allowed;
  } else {
    return BodyPlan{default_limit, false};
  }
  if (handler >= ctx_->route_bodies.size()) return BodyPlan{default_limit, false};
  const RouteBody &b = ctx_->route_bodies[handler];
  return BodyPlan{b.has_limit ? b.limit : default_limit, b.stream};
}

void Connection::on_body_data(const char *data, size_t len) {
  if (!body_ || phase_ == Phase::Closed) return; // a body no handler reads is dropped as it comes
  try {
    body_->append(data, len);
  } catch (const std::exception &) {
    return close(); // no memory for this body: its client gets a closed connection, the rest go on
  }
  last_body_progress_ = last_activity_;
  body_progress();
}

void Connection::on_body_end() {
  if (!body_ || phase_ == Phase::Closed) return;
  body_->end();
  body_progress();
}

void Connection::body_progress() {
  if (body_->waiting()) {
    body_->woken();
    try {
      ctx_->bodies_ready.push_back(id_);
    } catch (...) {
      // Out of memory: the reader hears nothing until the client goes away (then JS hears that).
    }
  }
  if (body_->full()) update_watch();
}

Connection::BodyRead Connection::take_body(uint32_t seq, std::string *out, HttpError *error) {
  if (phase_ == Phase::Closed || !body_ || body_->seq() != seq) return BodyRead::Gone;
  if (body_->take_continue() && queue_.owes_js() && queue_.oldest_owed().seq == seq && !queue_.oldest_owed().streaming) {
    // The client waits for this before it sends the body. Only the oldest response's 100 can go now;
    // a client whose request waits behind another sends its body after its own timeout.
    queue_.add_interim([](std::string &o) { o.append("HTTP/1.1 100 Continue\r\n\r\n"); });
    mark_dirty();
  }
  const bool was_full = body_->full();
  switch (body_->take(out)) {
  case RequestBody::Take::Data:
    if (was_full) {
      update_watch(); // read the socket again; the client's time starts again too
      last_body_progress_ = now();
    }
    return BodyRead::Data;
  case RequestBody::Take::Wait: return BodyRead::Wait;
  case RequestBody::Take::End:
    body_.reset();
    mark_dirty(); // pipelined requests behind it may go on
    return BodyRead::End;
  case RequestBody::Take::Error:
    *error = body_->error();
    body_.reset();
    return BodyRead::Failed;
  }
  return BodyRead::Gone;
}

void Connection::drop_body(uint32_t seq) {
  if (!body_ || body_->seq() != seq) return;
  if (body_->receiving()) {
    // Its response is complete and the rest of the body is unread: the connection ends after the
    // response (its bytes would otherwise be taken for the next request; a client waiting for 100
    // Continue may never send them).
    end_with(seq);
  }
  body_.reset();
  mark_dirty();
}

void Connection::on_continue() {
  // An interim response may only go out when no response is owed before it.
  if (queue_.owes_js()) return;
  queue_.add_ready(next_seq_, [](std::string &out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); });
  mark_dirty();
}

} // namespace uvhttp
