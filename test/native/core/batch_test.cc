// Unit tests for native/core/batch.cc: the record layout JS reads (lib/protocol.ts mirrors it), the
// 64-bit connection serial in two words, growth that keeps what was written, the soft limit past
// which the batch takes no more requests, and a storage that cannot grow.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "core/batch.h"
#include "http/parser.h"

using uvhttp::BatchStorage;
using uvhttp::HeaderField;
using uvhttp::RequestBatch;
using uvhttp::RequestHead;
using uvhttp::RouteMatch;

namespace {

struct VectorStorage : BatchStorage {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> words;
  bool refuse = false;
  VectorStorage(size_t b, size_t w) { grow(b, w, 0, 0); }
  bool grow(size_t data_bytes, size_t meta_words, size_t used_bytes, size_t used_words) override {
    if (refuse) return false;
    std::vector<uint8_t> nb(data_bytes);
    std::vector<uint32_t> nw(meta_words);
    if (used_bytes) std::memcpy(nb.data(), bytes.data(), used_bytes);
    if (used_words) std::memcpy(nw.data(), words.data(), used_words * sizeof(uint32_t));
    bytes.swap(nb);
    words.swap(nw);
    data = bytes.data();
    meta = words.data();
    data_capacity = data_bytes;
    meta_capacity = meta_words;
    return true;
  }
};

struct Parsed {
  std::string text;
  HeaderField fields[8];
  RequestHead head{};
  size_t head_len = 0;
  explicit Parsed(std::string t) : text(std::move(t)) {
    head.headers = fields;
    head.num_headers = 8;
    head_len = static_cast<size_t>(uvhttp::parse_request(text.data(), text.size(), &head, 0));
  }
};

std::string_view url_view(const Parsed &p) { return std::string_view(p.head.target, p.head.target_len); }

std::string at(const VectorStorage &s, uint32_t off, uint32_t len) {
  return std::string(reinterpret_cast<const char *>(s.bytes.data()) + off, len);
}

void layout() {
  VectorStorage st(64, 16); // tiny, so adding grows both buffers
  RequestBatch b(&st);
  Parsed a("GET /items/42?x=1 HTTP/1.1\r\nHost: h\r\nX-User: alice\r\n\r\n");
  RouteMatch m{};
  m.num_params = 1;
  m.params[0] = uvhttp::Param{7, 2}; // "42" in the path "/items/42"
  const uint64_t serial = (uint64_t{7} << 32) | 0x89abcdefu;
  check::that(b.add(3, serial, 9, 5, uvhttp::batch::kFlagHttp10, a.head, a.text.data(), a.head_len, url_view(a), 9,
                    "body", 4, m),
              "added");
  const uint32_t *w = st.words.data();
  check::that(w[0] == 3 && w[1] == 0x89abcdefu && w[2] == 7 && w[3] == 9 && w[4] == 5, "slot, serial words, seq, handler");
  check::that(w[5] == uvhttp::batch::kFlagHttp10, "flags");
  check::that(at(st, w[6], w[7]) == "GET", "method");
  check::that(at(st, w[8], w[9]) == "/items/42?x=1" && w[10] == 9, "url and path length");
  check::that(at(st, w[11], w[12]) == "body", "body");
  check::that(w[13] == 2 && w[14] == 1, "two headers, one param");
  check::that(at(st, w[15], w[16]) == "Host" && at(st, w[17], w[18]) == "h", "first header");
  check::that(at(st, w[19], w[20]) == "X-User" && at(st, w[21], w[22]) == "alice", "second header");
  check::that(at(st, w[23], w[24]) == "42", "param");

  // A second request lands after the first, whose bytes survive the growth.
  Parsed c("POST /c HTTP/1.1\r\nHost: h\r\n\r\n");
  RouteMatch none{};
  check::that(b.add(4, 1, 0, 0, 0, c.head, c.text.data(), c.head_len, url_view(c), 2, nullptr, 0, none), "second added");
  w = st.words.data(); // the words may have moved when the batch grew
  const uint32_t *w2 = w + uvhttp::batch::kFixedWords + 2 * 4 + 2;
  check::that(at(st, w[6], w[7]) == "GET" && at(st, w2[8], w2[9]) == "/c" && w2[0] == 4 && b.count() == 2,
              "first kept, second after it");
  b.clear();
  check::that(b.count() == 0 && !b.full(), "cleared");

  st.refuse = true;
  std::string big(1024, 'x');
  check::that(!b.add(1, 1, 0, 0, 0, c.head, c.text.data(), c.head_len, url_view(c), 2, big.data(), big.size(), none),
              "a storage that cannot grow refuses the request");
}

void soft_limit() {
  VectorStorage st(1024, 1024);
  RequestBatch b(&st);
  Parsed p("POST /u HTTP/1.1\r\nHost: h\r\n\r\n");
  RouteMatch none{};
  const std::string body(8 * 1024 * 1024, 'b');
  int added = 0;
  while (!b.full() && added < 100) {
    check::that(b.add(1, 1, static_cast<uint32_t>(added), 0, 0, p.head, p.text.data(), p.head_len, url_view(p), 2,
                      body.data(), body.size(), none),
                "add below the soft limit");
    ++added;
  }
  check::that(b.full() && added == 8, "full after 64 MiB of bodies: " + std::to_string(added));
  // Every offset is below 2^32 by construction: the last body ends inside the buffer.
  const uint32_t *last = st.words.data() + static_cast<size_t>(added - 1) * (uvhttp::batch::kFixedWords + 4);
  check::that(static_cast<uint64_t>(last[11]) + last[12] <= st.data_capacity, "the last body fits its buffer");
}

} // namespace

int main() {
  layout();
  soft_limit();
  return check::summary("batch");
}
