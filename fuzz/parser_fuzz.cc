// libFuzzer target for the request parser, message analysis, request-target forms and chunked decoder.
//
// Beyond "does not crash", it checks the properties the connection relies on: results point inside
// the buffer, a verdict never changes when more bytes arrive, incremental parsing with last_len agrees
// with a fresh parse, and chunked decoding does not depend on how the input is split.
// Build and run with scripts/fuzz.sh.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_errors.h"
#include "http/message.h"
#include "http/parser.h"
#include "http/request_target.h"

using uvhttp::ChunkedDecoder;
using uvhttp::HeaderField;
using uvhttp::HttpError;
using uvhttp::MessageError;
using uvhttp::MessageInfo;
using uvhttp::ParseError;
using uvhttp::RequestHead;
using uvhttp::RequestTarget;
using uvhttp::TargetForm;

namespace {

constexpr size_t kMaxHeaders = 100;
constexpr size_t kMaxInput = 1 << 16;

void require(bool ok, const char *what) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

struct Result {
  int r = 0;
  ParseError error = ParseError::None;
  RequestHead head{};
  HeaderField fields[kMaxHeaders];
};

bool inside(const char *p, size_t n, const char *lo, const char *hi) { return p >= lo && p + n <= hi; }

// Parses buf[0, len) from an exact-size heap copy, so ASan flags any read past len.
void parse(const uint8_t *data, size_t len, size_t last_len, Result *out, std::vector<char> *copy) {
  copy->assign(data, data + len);
  const char *buf = copy->data();
  out->head = RequestHead{};
  out->head.headers = out->fields;
  out->head.num_headers = kMaxHeaders;
  out->r = uvhttp::parse_request(buf, len, &out->head, last_len);
  out->error = out->head.error;
  if (out->r < 0) {
    require(out->head.num_headers == kMaxHeaders, "capacity changed on failure");
    require((out->r == -1) == (out->error != ParseError::None), "error set iff -1");
    require(out->r == -1 || out->r == -2, "negative result other than -1/-2");
    return;
  }
  const char *end = buf + out->r;
  const RequestHead &h = out->head;
  require(static_cast<size_t>(out->r) <= len, "consumed more than len");
  require(h.error == ParseError::None, "error set on success");
  require(h.num_headers <= kMaxHeaders, "num_headers over capacity");
  require(h.method_len > 0 && inside(h.method, h.method_len, buf, end), "method outside head");
  require(h.target_len > 0 && inside(h.target, h.target_len, buf, end), "target outside head");
  require(h.minor_version == 0 || h.minor_version == 1, "minor version");
  for (size_t i = 0; i < h.num_headers; ++i) {
    require(h.headers[i].name_len > 0 && inside(h.headers[i].name, h.headers[i].name_len, buf, end), "name");
    require(inside(h.headers[i].value, h.headers[i].value_len, buf, end), "value");
  }
}

// Field contents compared through offsets, since the two results live in different copies.
bool same(const Result &a, const std::vector<char> &abuf, const Result &b, const std::vector<char> &bbuf) {
  if (a.r != b.r) return false;
  if (a.r == -1) return a.error == b.error;
  if (a.r == -2) return true;
  const char *pa = abuf.data();
  const char *pb = bbuf.data();
  auto same_span = [&](const char *x, size_t xn, const char *y, size_t yn) {
    return xn == yn && x - pa == y - pb;
  };
  const RequestHead &x = a.head;
  const RequestHead &y = b.head;
  if (!same_span(x.method, x.method_len, y.method, y.method_len) ||
      !same_span(x.target, x.target_len, y.target, y.target_len) || x.minor_version != y.minor_version ||
      x.num_headers != y.num_headers) {
    return false;
  }
  for (size_t i = 0; i < x.num_headers; ++i) {
    if (!same_span(x.headers[i].name, x.headers[i].name_len, y.headers[i].name, y.headers[i].name_len) ||
        !same_span(x.headers[i].value, x.headers[i].value_len, y.headers[i].value, y.headers[i].value_len)) {
      return false;
    }
  }
  return true;
}

struct Decoded {
  int verdict = -2;
  std::string body;
  std::string rest;
  uint64_t total = 0;
};

// Decodes body in pieces whose sizes come from `sizes` (cycled; 0 means everything at once), each
// piece in an exact-size heap copy.
Decoded decode(const uint8_t *body, size_t n, const std::vector<size_t> &sizes) {
  ChunkedDecoder d{};
  Decoded out;
  size_t off = 0;
  std::vector<char> piece;
  for (size_t i = 0;; ++i) {
    size_t want = sizes[i % sizes.size()];
    size_t len = n - off;
    if (want != 0 && len > want) len = want;
    piece.assign(body + off, body + off + len);
    size_t got = len;
    ssize_t r = uvhttp::decode_chunked(&d, piece.data(), &got);
    require(got <= len, "decoded more than given");
    require(r < 0 || got + static_cast<size_t>(r) <= len, "rest overlaps the end");
    require(r >= -2, "decode result");
    out.body.append(piece.data(), got);
    off += len;
    if (r == -1) {
      out.verdict = -1;
      break;
    }
    if (r >= 0) {
      out.verdict = 0;
      out.rest.assign(piece.data() + got, static_cast<size_t>(r));
      out.rest.append(reinterpret_cast<const char *>(body) + off, n - off);
      break;
    }
    if (off == n) break;
  }
  out.total = d.total;
  require(out.total == out.body.size(), "total differs from decoded bytes");
  return out;
}

void check_decoding(const uint8_t *body, size_t n) {
  Decoded whole = decode(body, n, {0});
  // Piece sizes derived from the input, so the fuzzer can steer the split points.
  std::vector<size_t> sizes;
  for (size_t i = 0; i < 8 && i < n; ++i) sizes.push_back(1 + body[n - 1 - i] % 17);
  if (sizes.empty()) sizes.push_back(1);
  for (const auto &split : {std::vector<size_t>{1}, sizes}) {
    Decoded d = decode(body, n, split);
    require(d.verdict == whole.verdict, "split decoding verdict differs");
    require(d.body == whole.body, "split decoding output differs");
    require(d.rest == whole.rest, "split decoding leftover differs");
  }
}

void check_analysis(const RequestHead &head) {
  MessageInfo info{};
  bool ok = uvhttp::analyze_message(head, &info);
  require(ok == (info.error == MessageError::None), "error set iff rejected");
  if (!ok) {
    require(!info.keep_alive, "keep-alive after a rejected request");
    return;
  }
  require(!(info.chunked && info.has_content_length), "chunked and Content-Length both accepted");
  require(info.content_length <= static_cast<uint64_t>(INT64_MAX), "content length range");
  require(!info.expect_continue || head.minor_version == 1, "100-continue in HTTP/1.0");
}

// The parts of the target the connection will route must lie inside it, and each form must be the
// one its first bytes announce.
void check_target(const RequestHead &head) {
  std::string_view method(head.method, head.method_len);
  std::string_view target(head.target, head.target_len);
  RequestTarget t{};
  HttpError error = HttpError::BadRequest;
  bool ok = uvhttp::classify_target(method, target, &t, &error);
  require((method == "CONNECT") == (!ok && error == HttpError::ConnectNotSupported), "CONNECT verdict");
  if (!ok) {
    require(error == HttpError::ConnectNotSupported || error == HttpError::BadTargetForm, "target error");
    return;
  }
  require(t.origin_offset <= target.size() && t.origin_len <= target.size() - t.origin_offset, "origin range");
  require(t.path_len <= t.origin_len, "path longer than origin");
  std::string_view origin = target.substr(t.origin_offset, t.origin_len);
  require(origin.substr(0, t.path_len).find('?') == std::string_view::npos, "'?' inside the path");
  require(t.path_len == t.origin_len || origin[t.path_len] == '?', "path not ended by '?'");
  switch (t.form) {
    case TargetForm::Origin:
      require(target[0] == '/' && t.origin_offset == 0 && t.origin_len == target.size(), "origin-form");
      break;
    case TargetForm::Absolute:
      require(t.origin_offset + t.origin_len == target.size() && target.find("://") < t.origin_offset, "absolute-form");
      require(origin.empty() || origin[0] == '/' || origin[0] == '?', "absolute-form path start");
      require(target.substr(0, t.origin_offset).find('@') == std::string_view::npos, "userinfo accepted");
      break;
    case TargetForm::Asterisk:
      require(target == "*" && method == "OPTIONS" && t.origin_len == 0, "asterisk-form");
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > kMaxInput) return 0;
  std::vector<char> whole_buf;
  Result whole;
  parse(data, size, 0, &whole, &whole_buf);

  // Split points: evenly spaced, plus the ends where most state changes happen.
  std::vector<size_t> points;
  for (size_t i = 1; i < 8; ++i) points.push_back(size * i / 8);
  for (size_t k : {size_t{1}, size_t{2}, size_t{3}, size > 0 ? size - 1 : 0}) points.push_back(k);

  std::vector<char> buf;
  Result prefix;
  for (size_t k : points) {
    if (k > size) continue;
    parse(data, k, 0, &prefix, &buf);
    if (prefix.r == -1) require(whole.r == -1 && whole.error == prefix.error, "-1 on a prefix, other verdict later");
    if (prefix.r >= 0) require(same(prefix, buf, whole, whole_buf), "head complete on a prefix, other result later");
    if (whole.r >= 0 && k < static_cast<size_t>(whole.r)) require(prefix.r == -2, "prefix of a head is not -2");
  }

  // Incremental feeding with last_len, at the same split points in increasing order.
  std::vector<size_t> steps;
  for (size_t i = 1; i < 8; ++i) steps.push_back(size * i / 8);
  steps.push_back(size);
  size_t last_len = 0;
  Result inc;
  Result fresh;
  std::vector<char> fresh_buf;
  for (size_t k : steps) {
    if (k < last_len || k == 0) continue;
    parse(data, k, last_len, &inc, &buf);
    parse(data, k, 0, &fresh, &fresh_buf);
    require(same(inc, buf, fresh, fresh_buf) || (inc.r == -2 && fresh.r == -1),
            "incremental parse disagrees with a fresh parse");
    if (inc.r != -2) break;
    last_len = k;
  }

  if (whole.r >= 0) {
    check_analysis(whole.head);
    check_target(whole.head);
  }
  size_t body_start = whole.r >= 0 ? static_cast<size_t>(whole.r) : 0;
  check_decoding(data + body_start, size - body_start);
  return 0;
}
