// The PROXY protocol phase of a connection (proxyProtocol only): the balancer's header is read before
// any HTTP and names the client that peer() reports. Apart because only a server behind a balancer
// that speaks it ever enters this phase.
#include <exception>
#include <string>

#include "core/connection.h"

namespace uvhttp {

bool Connection::peer(std::string *address, int *port) const {
  if (proxy_ && phase_ != Phase::Preface && proxy_source_text(proxy_->source, address)) {
    *port = proxy_->source.port;
    return true;
  }
  return peer_address(fd_, address, port);
}

void Connection::read_preface() {
  char *buf = ctx_->read_buffer.get();
  long n;
  do {
    n = poller_.receive(buf, ServerContext::kReadBufferSize);
  } while (n < 0 && interrupted(last_socket_error()));
  if (n < 0) {
    if (!would_block(last_socket_error())) close();
    return;
  }
  if (n == 0) return close(); // gone before its balancer said whom it relays: nothing is owed
  ctx_->stats.bytes_read += static_cast<uint64_t>(n);
  last_activity_ = now();

  // Most headers arrive whole in one read and are parsed where they landed; a split one is gathered.
  std::string &pending = proxy_->pending;
  char *data = buf;
  size_t len = static_cast<size_t>(n);
  try {
    if (!pending.empty()) {
      pending.append(buf, len);
      data = &pending[0];
      len = pending.size();
    }
    size_t consumed = 0;
    switch (parse_proxy_header(data, len, &proxy_->source, &consumed)) {
    case ProxyParse::Incomplete:
      if (pending.empty()) pending.assign(buf, len);
      return;
    case ProxyParse::Invalid:
      // The spec's answer to a bad header is to drop the connection: no HTTP reply goes to a peer
      // whose stream cannot be trusted to be HTTP from the client it claims.
      ++ctx_->stats.parse_errors;
      return close();
    case ProxyParse::Done: break;
    }
    phase_ = Phase::Open;
    if (consumed < len) session_.feed(data + consumed, len - consumed, last_activity_);
  } catch (const std::exception &) {
    return close(); // no memory to gather the header
  }
  if (proxy_->source.family == ProxySource::Family::None) proxy_.reset();
  else std::string().swap(proxy_->pending);
  if (phase_ == Phase::Closed) return;
  if (queue_.has_ready_bytes()) mark_dirty();
  update_watch();
}

} // namespace uvhttp
