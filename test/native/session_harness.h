// Drives a Session as a connection would, recording its events as text, so that one input fed whole
// and the same input fed in any pieces can be compared. Shared by session_test.cc and the session fuzz
// target.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "http/session.h"

namespace session_harness {

struct Recorder : uvhttp::SessionEvents {
  std::string log;
  bool taking = true;
  // Bodies streamed instead of buffered, within this limit. Their bytes are logged at their end: how
  // reads cut a body must not show.
  bool stream_bodies = false;
  uint64_t stream_limit = 0;
  std::string streamed;
  bool can_take_request() override { return taking; }
  uvhttp::BodyPlan plan_body(const uvhttp::RequestHead &, const uvhttp::MessageInfo &, const uvhttp::RequestTarget &,
                             uint64_t default_limit) override {
    return stream_bodies ? uvhttp::BodyPlan{stream_limit, true} : uvhttp::BodyPlan{default_limit, false};
  }
  void on_body_data(const char *data, size_t len) override { streamed.append(data, len); }
  void on_body_end() override {
    log += "BODY " + streamed + " END;\n";
    streamed.clear();
  }
  bool on_request(const uvhttp::ParsedRequest &r) override {
    log += "REQ ";
    log.append(r.head->method, r.head->method_len);
    log += ' ';
    log.append(r.head->target, r.head->target_len);
    for (size_t i = 0; i < r.head->num_headers; ++i) {
      log += " [";
      log.append(r.head->headers[i].name, r.head->headers[i].name_len);
      log += '=';
      log.append(r.head->headers[i].value, r.head->headers[i].value_len);
      log += ']';
    }
    log += r.body_follows ? " body>>" : " body=";
    if (r.body_len) log.append(r.body, r.body_len);
    log += r.info->keep_alive ? ";\n" : " (last);\n";
    return r.info->keep_alive;
  }
  void on_continue() override { log += "100;\n"; }
  void on_error(uvhttp::HttpError e) override {
    streamed.clear(); // how much of a failed body came first depends on the reads
    log += "ERR " + std::to_string(static_cast<int>(e)) + ";\n";
  }
};

// Feeds data as reads of the given sizes (the last size repeats), the way Connection does: into the
// session's own space when it keeps a partial request, else through a reused shared buffer.
inline void deliver(uvhttp::Session &s, const std::string &data, const std::vector<size_t> &sizes,
                    uint64_t now = 0) {
  std::vector<char> shared(128 * 1024);
  size_t pos = 0, k = 0;
  while (pos < data.size() && !s.done()) {
    size_t want = sizes.empty() ? data.size() : std::max<size_t>(1, sizes[std::min(k, sizes.size() - 1)]);
    ++k;
    want = std::min(want, data.size() - pos);
    char *buf;
    size_t cap;
    if (s.read_space(&buf, &cap)) {
      if (cap == 0) return; // out of memory
      const size_t n = std::min(want, cap);
      std::memcpy(buf, data.data() + pos, n);
      s.fed_in_place(n, now);
      pos += n;
    } else {
      const size_t n = std::min(want, shared.size());
      std::memcpy(shared.data(), data.data() + pos, n);
      std::memset(shared.data() + n, 'Z', std::min<size_t>(64, shared.size() - n)); // no reading past n
      s.feed(shared.data(), n, now);
      pos += n;
    }
  }
}

inline std::string run(const std::string &data, const std::vector<size_t> &sizes,
                       const uvhttp::SessionLimits &limits, bool stream_bodies = false, uint64_t stream_limit = 0) {
  Recorder r;
  r.stream_bodies = stream_bodies;
  r.stream_limit = stream_limit;
  uvhttp::Session s(&limits, &r);
  deliver(s, data, sizes);
  if (s.done()) r.log += "DONE;\n";
  return r.log;
}

} // namespace session_harness
