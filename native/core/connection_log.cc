// The access log's side of a connection (core/access_log.h): a request's fields when it is routed, its
// answer when it is known, and the parts of a streamed one. Apart because the connection does nothing
// with them but hand them on, and only when accessLog is set.
#include <exception>
#include <string>

#include "core/connection.h"
#include "core/response_record.h"
#include "http/response.h"

namespace uvhttp {

ConnectionLog &Connection::log_client() {
  if (log_->client.empty()) {
    int port;
    try {
      if (!peer(&log_->client, &port)) log_->client = "-";
    } catch (const std::exception &) {
      // Out of memory: the line says nothing of the client.
    }
  }
  return *log_;
}

void Connection::log_begin(uint32_t seq, const RequestHead &head) { ctx_->access_log->begin(log_client(), seq, head); }

void Connection::log_part(uint32_t seq, uint32_t part_and_flags, std::string_view head, std::string_view body) {
  using response_record::Part;
  AccessLog &log = *ctx_->access_log;
  switch (static_cast<Part>(part_and_flags & response_record::kPartMask)) {
  case Part::Whole: return log.finish(*log_, seq, status_code(head), body.size());
  case Part::Start: return log.started(*log_, seq, status_code(head), body.size());
  case Part::More: return log.sent(*log_, seq, body.size());
  case Part::Last:
  case Part::Abort: return log.finish(*log_, seq, 0, body.size()); // the status its start had
  default: return;
  }
}

} // namespace uvhttp
