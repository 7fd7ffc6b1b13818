// Unit tests for parse_request and decode_chunked (native/parser.h).
//
// Every request input is also parsed at every prefix length, fresh and incrementally with last_len,
// and every parse runs on a copy that ends at a PROT_NONE page, so an over-read crashes the test.
// Linked twice by test/native/parser.test.ts: against parser.cc with the SSE4.2 dispatch and against
// parser.cc built with -DUVHTTP_NO_SSE42, so both scan paths run every case.

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "guarded_page.h"
#include "check.h"
#include "http/parser.h"

using uvhttp::ChunkedDecoder;
using uvhttp::HeaderField;
using uvhttp::ParseError;
using uvhttp::RequestHead;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

std::string show(const std::string &s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return "\"" + out + "\"";
}

const char *error_name(ParseError e) {
  switch (e) {
    case ParseError::None: return "None";
    case ParseError::BadRequestLine: return "BadRequestLine";
    case ParseError::BadVersion: return "BadVersion";
    case ParseError::VersionNotSupported: return "VersionNotSupported";
    case ParseError::BadHeaderName: return "BadHeaderName";
    case ParseError::BadHeaderValue: return "BadHeaderValue";
    case ParseError::ObsFold: return "ObsFold";
    case ParseError::BareLF: return "BareLF";
    case ParseError::TooManyHeaders: return "TooManyHeaders";
  }
  return "?";
}

GuardedBuffer &guard() {
  static GuardedBuffer g(1 << 17);
  return g;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

// A parse result copied out of the guarded buffer, so results from different calls can be compared.
struct Parsed {
  int r = 0;
  ParseError error = ParseError::None;
  std::string method;
  std::string target;
  int minor = -1;
  Fields headers;
  bool pointers_ok = true;  // every field lies inside the consumed bytes

  bool same_as(const Parsed &o) const {
    if (r != o.r) return false;
    if (r == -1) return error == o.error;
    if (r == -2) return true;
    return method == o.method && target == o.target && minor == o.minor && headers == o.headers;
  }
  std::string describe() const {
    if (r == -2) return "-2";
    if (r == -1) return std::string("-1 ") + error_name(error);
    return std::to_string(r) + " " + method + " " + target + " 1." + std::to_string(minor) + " (" +
           std::to_string(headers.size()) + " headers)";
  }
};

bool inside(const char *p, size_t n, const char *lo, const char *hi) { return p >= lo && p + n <= hi; }

Parsed parse_prefix(const std::string &in, size_t len, size_t capacity, size_t last_len) {
  const char *buf = guard().place(in.data(), len);
  std::vector<HeaderField> fields(capacity + 1);
  RequestHead head{};
  head.headers = fields.data();
  head.num_headers = capacity;
  Parsed p;
  p.r = uvhttp::parse_request(buf, len, &head, last_len);
  p.error = head.error;
  if (p.r < 0) {
    // The capacity must survive a failed call so the struct can be passed again.
    p.pointers_ok = head.num_headers == capacity && (p.r == -1) == (head.error != ParseError::None);
    return p;
  }
  const char *end = buf + p.r;
  p.pointers_ok = static_cast<size_t>(p.r) <= len && head.num_headers <= capacity &&
                  head.error == ParseError::None && inside(head.method, head.method_len, buf, end) &&
                  inside(head.target, head.target_len, buf, end);
  p.method.assign(head.method, head.method_len);
  p.target.assign(head.target, head.target_len);
  p.minor = head.minor_version;
  for (size_t i = 0; i < head.num_headers && i < capacity; ++i) {
    const HeaderField &h = head.headers[i];
    p.pointers_ok = p.pointers_ok && inside(h.name, h.name_len, buf, end) && inside(h.value, h.value_len, buf, end);
    p.headers.emplace_back(std::string(h.name, h.name_len), std::string(h.value, h.value_len));
  }
  return p;
}

// Feeds in[0, len) in steps of `step` bytes, passing last_len as a server would; returns the verdict
// after each step through `each` and the last one.
template <typename Each>
Parsed parse_incrementally(const std::string &in, size_t len, size_t capacity, size_t step, Each each) {
  size_t last_len = 0;
  Parsed p;
  p.r = -2;
  size_t k = 0;
  while (k < len) {
    k = k + step < len ? k + step : len;
    p = parse_prefix(in, k, capacity, last_len);
    each(k, p);
    if (p.r != -2) break;
    last_len = k;
  }
  return p;
}

// Parses `in` whole and at every prefix, fresh and incrementally, and checks that the verdicts are
// consistent with each other. Returns the verdict for the whole input.
Parsed parse_all_ways(const std::string &in, size_t capacity = 64) {
  std::vector<Parsed> fresh;
  for (size_t k = 0; k <= in.size(); ++k) fresh.push_back(parse_prefix(in, k, capacity, 0));
  const Parsed &whole = fresh.back();

  bool ok = true;
  std::string why;
  // Once a verdict is reached, more bytes cannot change it.
  for (size_t k = 0; k < fresh.size() && ok; ++k) {
    if (!fresh[k].pointers_ok) {
      ok = false;
      why = "field outside buffer at prefix " + std::to_string(k);
    } else if (fresh[k].r != -2 && !fresh[k].same_as(whole)) {
      ok = false;
      why = "prefix " + std::to_string(k) + " gave " + fresh[k].describe() + ", whole " + whole.describe();
    } else if (whole.r >= 0 && k < static_cast<size_t>(whole.r) && fresh[k].r != -2) {
      ok = false;
      why = "prefix " + std::to_string(k) + " shorter than the head is not -2";
    }
  }
  // last_len may defer an error to the end of the head (it only looks for the end), but never
  // changes a verdict.
  for (size_t step : {size_t{1}, size_t{3}, size_t{16}}) {
    if (!ok) break;
    parse_incrementally(in, in.size(), capacity, step, [&](size_t k, const Parsed &p) {
      bool fine = p.pointers_ok && (p.same_as(fresh[k]) || (p.r == -2 && fresh[k].r == -1));
      if (!fine && ok) {
        ok = false;
        why = "incremental step " + std::to_string(step) + " at " + std::to_string(k) + " gave " + p.describe() +
              ", fresh " + fresh[k].describe();
      }
    });
  }
  if (ok && whole.r == -1) {
    // With the end of a head appended, the deferred error must surface, and be the same error.
    std::string ended = in + "\r\n\r\n";
    Parsed fresh_ended = parse_prefix(ended, ended.size(), capacity, 0);
    Parsed inc = parse_incrementally(ended, ended.size(), capacity, 1, [](size_t, const Parsed &) {});
    if (!fresh_ended.same_as(whole) || !inc.same_as(whole)) {
      ok = false;
      why = "with CRLFCRLF appended: fresh " + fresh_ended.describe() + ", incremental " + inc.describe();
    }
  }
  check(ok, "prefix/incremental consistency of " + show(in) + ": " + why);
  return whole;
}

void expect_request(const std::string &in, const std::string &method, const std::string &target, int minor,
                    const Fields &headers, size_t capacity = 64) {
  Parsed p = parse_all_ways(in, capacity);
  bool ok = p.r == static_cast<int>(in.size()) && p.method == method && p.target == target && p.minor == minor &&
            p.headers == headers;
  std::string got = p.describe();
  if (p.r >= 0) {
    for (const auto &h : p.headers) got += " [" + show(h.first) + ": " + show(h.second) + "]";
  }
  check(ok, "parse " + show(in) + " got " + got);
}

void expect_error(const std::string &in, ParseError error, size_t capacity = 64) {
  Parsed p = parse_all_ways(in, capacity);
  check(p.r == -1 && p.error == error,
        "parse " + show(in) + " expected -1 " + error_name(error) + ", got " + p.describe());
}

const std::string kLine = "GET / HTTP/1.1\r\n";

void test_valid_requests() {
  expect_request("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", "/", 1, {{"Host", "example.com"}});
  expect_request("GET /index.html?q=1&r=%20 HTTP/1.0\r\n\r\n", "GET", "/index.html?q=1&r=%20", 0, {});
  expect_request(
      "POST /api/items HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n", "POST",
      "/api/items", 1, {{"Host", "a"}, {"Content-Type", "application/json"}, {"Content-Length", "13"}});
  expect_request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "*", 1, {{"Host", "a"}});
  expect_request("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "CONNECT", "example.com:443", 1,
                 {{"Host", "example.com:443"}});
  expect_request("GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", "GET", "http://a.example/x", 1,
                 {{"Host", "a.example"}});
  // Method is any token, not a fixed list.
  expect_request("M-SEARCH~!#$%&'*+.^_`| / HTTP/1.1\r\n\r\n", "M-SEARCH~!#$%&'*+.^_`|", "/", 1, {});
  // Empty values and OWS stripping.
  expect_request(kLine + "X-Empty:\r\nY:   \t \r\nZ: \t a  b \t\r\n\r\n", "GET", "/", 1,
                 {{"X-Empty", ""}, {"Y", ""}, {"Z", "a  b"}});
  expect_request(kLine + "X:value-without-space\r\n\r\n", "GET", "/", 1, {{"X", "value-without-space"}});
  expect_request(kLine + "Tab:\tin\tside\t\r\n\r\n", "GET", "/", 1, {{"Tab", "in\tside"}});
  // obs-text is allowed in values.
  expect_request(kLine + "X-Name: caf\xc3\xa9 \x80\xff\r\n\r\n", "GET", "/", 1, {{"X-Name", "caf\xc3\xa9 \x80\xff"}});
  // Visible ASCII punctuation in the target and in values.
  std::string visible;
  for (int c = 0x21; c <= 0x7e; ++c) visible += static_cast<char>(c);
  expect_request("GET " + visible + " HTTP/1.1\r\nV: " + visible + "\r\n\r\n", "GET", visible, 1, {{"V", visible}});
  // Names keep their case; duplicates are kept in order.
  expect_request(kLine + "cOoKiE: a\r\ncookie: b\r\n\r\n", "GET", "/", 1, {{"cOoKiE", "a"}, {"cookie", "b"}});
  // Up to four empty lines before the request line are skipped (RFC 9112 2.2).
  expect_request("\r\nGET / HTTP/1.1\r\n\r\n", "GET", "/", 1, {});
  expect_request("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", "GET", "/", 1, {});
}

void test_many_headers() {
  std::string in = "GET /many HTTP/1.1\r\n";
  Fields expected;
  for (int i = 0; i < 100; ++i) {
    std::string name = "X-Header-" + std::to_string(i);
    std::string value = std::string(static_cast<size_t>(i % 37), 'v') + std::to_string(i);
    in += name + ": " + value + "\r\n";
    expected.emplace_back(name, value);
  }
  in += "\r\n";
  expect_request(in, "GET", "/many", 1, expected, 100);
  expect_error(in, ParseError::TooManyHeaders, 99);
}

void test_too_many_headers() {
  std::string two = kLine + "A: 1\r\nB: 2\r\n\r\n";
  expect_request(two, "GET", "/", 1, {{"A", "1"}, {"B", "2"}}, 2);
  expect_error(two, ParseError::TooManyHeaders, 1);
  expect_error(two, ParseError::TooManyHeaders, 0);
  expect_request("GET / HTTP/1.0\r\n\r\n", "GET", "/", 0, {}, 0);
}

void test_request_line_errors() {
  const std::string rest = "\r\nHost: a\r\n\r\n";
  expect_error("G@T / HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET(x) / HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error(" GET / HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET  / HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET\t/ HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET /  HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET /a\tb HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error(std::string("GET /a\0b HTTP/1.1", 17) + rest, ParseError::BadRequestLine);
  expect_error("GET /\x7f HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET /caf\xc3\xa9 HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET /\x80 HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET /\xff HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("GET /\r\n\r\n", ParseError::BadRequestLine);  // HTTP/0.9 shape
  expect_error("GET\r\n\r\n", ParseError::BadRequestLine);
  expect_error(std::string("\0GET / HTTP/1.1", 15) + rest, ParseError::BadRequestLine);
  expect_error(std::string("GET / HTTP/1.1\0", 15) + rest, ParseError::BadRequestLine);
  expect_error("GET / HTTP/1.\x01" + rest, ParseError::BadRequestLine);
  expect_error("GET / HTTP/1.1\rX" + rest, ParseError::BadRequestLine);
  expect_error("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1" + rest, ParseError::BadRequestLine);  // five empty lines
  expect_error("\rGET / HTTP/1.1" + rest, ParseError::BadRequestLine);
  expect_error("\r\r\n", ParseError::BadRequestLine);
}

void test_version_errors() {
  const std::string rest = "\r\nHost: a\r\n\r\n";
  expect_error("GET / http/1.1" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/1.x" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/x.1" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/11" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/1.10" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/1" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/" + rest, ParseError::BadVersion);
  expect_error("GET / " + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/1.1 " + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/2.0x" + rest, ParseError::BadVersion);
  expect_error("GET / HTTPS/1.1" + rest, ParseError::BadVersion);
  expect_error("GET / FTP/1.1" + rest, ParseError::BadVersion);
  expect_error("GET / HTTP/2.0" + rest, ParseError::VersionNotSupported);
  expect_error("GET / HTTP/3.0" + rest, ParseError::VersionNotSupported);
  expect_error("GET / HTTP/0.9" + rest, ParseError::VersionNotSupported);
  expect_error("GET / HTTP/1.2" + rest, ParseError::VersionNotSupported);
  expect_error("GET / HTTP/1.9" + rest, ParseError::VersionNotSupported);
  expect_error("GET / HTTP/9.9" + rest, ParseError::VersionNotSupported);
}

void test_bare_lf() {
  expect_error("GET / HTTP/1.1\nHost: a\r\n\r\n", ParseError::BareLF);
  expect_error("GET / HTTP/1.1\r\nHost: a\n\r\n", ParseError::BareLF);
  expect_error("GET / HTTP/1.1\r\nHost: a\r\n\n", ParseError::BareLF);
  expect_error("GET / HTTP/1.1\n\n", ParseError::BareLF);
  expect_error("GET / HTTP/1.\n", ParseError::BareLF);
  expect_error("GET /\n", ParseError::BareLF);
  expect_error("GET\n", ParseError::BareLF);
  expect_error("\nGET / HTTP/1.1\r\n\r\n", ParseError::BareLF);
  expect_error("\r\n\nGET / HTTP/1.1\r\n\r\n", ParseError::BareLF);
  expect_error(kLine + "Host\n", ParseError::BareLF);
  expect_error(kLine + "Host:\n", ParseError::BareLF);
  expect_error(kLine + "Host: a b\n", ParseError::BareLF);
}

void test_header_name_errors() {
  expect_error(kLine + "Host : a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + "Host\t: a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + ": a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + "Ho st: a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + "Ho(st: a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + "H\xc3\xb3st: a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + std::string("Ho\0st: a\r\n\r\n", 12), ParseError::BadHeaderName);
  expect_error(kLine + "Host a\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + "Host\r\n\r\n", ParseError::BadHeaderName);
  expect_error(kLine + "\rX", ParseError::BadHeaderName);
  expect_error(kLine + "A: b\r\n\rX", ParseError::BadHeaderName);
}

void test_header_value_errors() {
  expect_error(kLine + std::string("X: a\0b\r\n\r\n", 10), ParseError::BadHeaderValue);
  expect_error(kLine + "X: a\x01\r\n\r\n", ParseError::BadHeaderValue);
  expect_error(kLine + "X: \x1f\r\n\r\n", ParseError::BadHeaderValue);
  expect_error(kLine + "X: a\x7f\r\n\r\n", ParseError::BadHeaderValue);
  expect_error(kLine + "X: a\x0b\r\n\r\n", ParseError::BadHeaderValue);
  expect_error(kLine + "X: a\rb\r\n\r\n", ParseError::BadHeaderValue);
  expect_error(kLine + "X:\r\r\n\r\n", ParseError::BadHeaderValue);
}

void test_obs_fold() {
  expect_error(kLine + "X: a\r\n b\r\n\r\n", ParseError::ObsFold);
  expect_error(kLine + "X: a\r\n\tb\r\n\r\n", ParseError::ObsFold);
  expect_error(kLine + " Host: a\r\n\r\n", ParseError::ObsFold);  // whitespace before the first field
  expect_error(kLine + "\t\r\n\r\n", ParseError::ObsFold);
}

// Long targets and values exercise the 16-byte block scan: a forbidden byte at every offset must be
// found whether it falls in a full block or in the scalar tail.
void test_block_scan_boundaries() {
  for (size_t len = 1; len <= 70; ++len) {
    std::string target = "/" + std::string(len - 1, 'a');
    std::string value(len, 'b');
    value[len / 2] = '\xa0';
    expect_request("GET " + target + " HTTP/1.1\r\nV: " + value + "\r\n\r\n", "GET", target, 1, {{"V", value}});
  }
  const char target_bad[] = {'\x00', '\x01', '\t', '\x1f', '\x7f', '\x80', '\xff'};
  const char value_bad[] = {'\x00', '\x01', '\x08', '\x0b', '\x1f', '\x7f'};
  for (size_t pos = 0; pos < 48; ++pos) {
    for (char bad : target_bad) {
      std::string target = "/" + std::string(47, 'x');
      target[pos] = bad;
      expect_error("GET " + target + " HTTP/1.1\r\n\r\n", ParseError::BadRequestLine);
    }
    for (char bad : value_bad) {
      std::string value(48, 'y');
      value[pos] = bad;
      expect_error(kLine + "V: " + value + "\r\n\r\n", ParseError::BadHeaderValue);
    }
    std::string lf_value(48, 'z');
    lf_value[pos] = '\n';
    expect_error(kLine + "V: " + lf_value + "\r\n\r\n", ParseError::BareLF);
  }
  // Every byte value, alone in a long value at a block boundary.
  for (int c = 0; c < 256; ++c) {
    std::string value(40, 'q');
    value[16] = static_cast<char>(c);
    std::string in = kLine + "V: " + value + "\r\n\r\n";
    Parsed p = parse_prefix(in, in.size(), 4, 0);
    bool allowed = c == '\t' || (c >= 0x20 && c != 0x7f);
    ParseError expected = c == '\n' ? ParseError::BareLF : ParseError::BadHeaderValue;
    check(allowed ? p.r == static_cast<int>(in.size()) : (p.r == -1 && p.error == expected),
          "value byte " + std::to_string(c) + " gave " + p.describe());
  }
}

// A head that trickles in a byte at a time must not be re-validated from the start each time; the
// observable part is that every step is -2 and the final verdict equals a fresh parse.
void test_last_len() {
  std::string in = "PUT /upload HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 50; ++i) in += "X-" + std::to_string(i) + ": " + std::string(30, 'v') + "\r\n";
  in += "\r\n";
  Parsed fresh = parse_prefix(in, in.size(), 64, 0);
  check(fresh.r == static_cast<int>(in.size()), "large head parses fresh");
  for (size_t step : {size_t{1}, size_t{2}, size_t{5}, size_t{64}, size_t{1000}}) {
    bool all_incomplete = true;
    Parsed last = parse_incrementally(in, in.size(), 64, step, [&](size_t k, const Parsed &p) {
      if (k < in.size() && p.r != -2) all_incomplete = false;
    });
    check(all_incomplete && last.same_as(fresh), "last_len step " + std::to_string(step) + " gave " + last.describe());
  }
  // No new bytes since the last -2: still -2.
  check(parse_prefix(in, 100, 64, 100).r == -2, "last_len == len is -2");
  // The end of the head arriving split across calls: "\r\n\r" then "\n".
  std::string small = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  check(parse_prefix(small, small.size(), 8, small.size() - 1).same_as(parse_prefix(small, small.size(), 8, 0)),
        "head end split before the final LF");
  check(parse_prefix(small, small.size(), 8, small.size() - 3).same_as(parse_prefix(small, small.size(), 8, 0)),
        "head end split inside CRLFCRLF");
  // A bare LF in the new bytes is reported at once, not when the head ends.
  std::string bare = "GET / HTTP/1.1\r\nHost: a\nX";
  Parsed b = parse_prefix(bare, bare.size(), 8, 20);
  check(b.r == -1 && b.error == ParseError::BareLF, "bare LF in new bytes with last_len: " + b.describe());
}

void test_pipelined_and_struct_reuse() {
  std::string two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n";
  Parsed first = parse_prefix(two, two.size(), 8, 0);
  check(first.r == 28 && first.target == "/a", "first of two pipelined heads: " + first.describe());
  std::string rest = two.substr(28);
  Parsed second = parse_prefix(rest, rest.size(), 8, 0);
  check(second.r == 28 && second.target == "/b", "second pipelined head: " + second.describe());
  // Body bytes after the head are not consumed.
  std::string with_body = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  Parsed pb = parse_prefix(with_body, with_body.size(), 8, 0);
  check(pb.r == static_cast<int>(with_body.size()) - 5, "body is not consumed: " + pb.describe());

  // The same RequestHead passed again after -2, as a connection would.
  std::vector<HeaderField> fields(4);
  RequestHead head{};
  head.headers = fields.data();
  head.num_headers = fields.size();
  std::string in = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
  int r1 = uvhttp::parse_request(in.data(), 20, &head, 0);
  check(r1 == -2 && head.num_headers == 4, "capacity kept after -2");
  int r2 = uvhttp::parse_request(in.data(), in.size(), &head, 20);
  check(r2 == static_cast<int>(in.size()) && head.num_headers == 2 && head.error == ParseError::None,
        "reuse after -2 parses");
}

// ---- Chunked decoding ----------------------------------------------------------------------------

struct Decoded {
  int verdict = -2;   // -2 incomplete, -1 invalid, 0 complete
  std::string body;   // decoded bytes, across calls
  std::string rest;   // bytes after the message
  uint64_t total = 0;
  bool lengths_ok = true;
};

// Feeds `in` in pieces of `piece` bytes (0: all at once), each piece in its own guarded copy.
Decoded decode(const std::string &in, size_t piece) {
  ChunkedDecoder d{};
  Decoded out;
  size_t off = 0;
  for (;;) {
    size_t n = in.size() - off;
    if (piece != 0 && n > piece) n = piece;
    char *buf = guard().place(in.data() + off, n);
    size_t len = n;
    ssize_t r = uvhttp::decode_chunked(&d, buf, &len);
    out.lengths_ok = out.lengths_ok && len <= n && (r < 0 || len + static_cast<size_t>(r) <= n);
    out.body.append(buf, len);
    off += n;
    if (r == -1) {
      out.verdict = -1;
      break;
    }
    if (r >= 0) {
      out.verdict = 0;
      out.rest = std::string(buf + len, static_cast<size_t>(r)) + in.substr(off);
      break;
    }
    if (off == in.size()) break;
  }
  out.total = d.total;
  return out;
}

std::string verdict_name(int v) { return v == 0 ? "complete" : v == -1 ? "invalid" : "incomplete"; }

// Decodes whole and in several piece sizes (including one byte at a time); all must agree.
Decoded decode_all_ways(const std::string &in) {
  Decoded whole = decode(in, 0);
  bool ok = whole.lengths_ok && whole.total == whole.body.size();
  std::string why = ok ? "" : "lengths";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}, size_t{16}}) {
    Decoded split = decode(in, piece);
    if (ok && (split.verdict != whole.verdict || split.body != whole.body || split.rest != whole.rest ||
               split.total != whole.total || !split.lengths_ok)) {
      ok = false;
      why = "piece " + std::to_string(piece) + " gave " + verdict_name(split.verdict) + " " + show(split.body);
    }
  }
  check(ok, "chunked split consistency of " + show(in) + ": " + why);
  return whole;
}

void expect_chunked(const std::string &in, const std::string &body, const std::string &rest = "") {
  Decoded d = decode_all_ways(in);
  check(d.verdict == 0 && d.body == body && d.rest == rest,
        "decode " + show(in) + " got " + verdict_name(d.verdict) + " body " + show(d.body) + " rest " + show(d.rest));
}

void expect_chunked_verdict(const std::string &in, int verdict) {
  Decoded d = decode_all_ways(in);
  check(d.verdict == verdict, "decode " + show(in) + " expected " + verdict_name(verdict) + ", got " +
                                  verdict_name(d.verdict));
}

void test_chunked_valid() {
  expect_chunked("5\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("0\r\n\r\n", "");
  expect_chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
  expect_chunked("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij");
  expect_chunked("0005\r\nhello\r\n000\r\n\r\n", "hello");
  expect_chunked("0000000000000005\r\nhello\r\n0\r\n\r\n", "hello");  // 16 digits is the limit
  expect_chunked("3\r\n\r\n\r\r\n0\r\n\r\n", "\r\n\r");  // data is opaque
  std::string big(1000, 'z');
  expect_chunked("3e8\r\n" + big + "\r\n0\r\n\r\n", big);
  expect_chunked("3E8\r\n" + big + "\r\n0\r\n\r\n", big);
  // Pipelined bytes after the message are handed back right after the body.
  expect_chunked("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", "hello", "GET / HTTP/1.1\r\n\r\n");
  expect_chunked("0\r\n\r\nX", "", "X");
  // Chunk extensions: tokens, quoted strings, BWS around ';' and '='.
  expect_chunked("5;name\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello");
  expect_chunked("5 ; a = b ;c\t;\td\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;a=\"q ; \\\"x\\\" , \\\\ \"\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;a=\"caf\xc3\xa9\"\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;a=b \t;c\r\nhello\r\n0\r\n\r\n", "hello");
  expect_chunked("5;a;b;c=d\r\nhello\r\n0\r\n\r\n", "hello");
  // Trailer fields are validated and dropped.
  expect_chunked("5\r\nhello\r\n0\r\nX-Trailer: value\r\nEmpty:\r\n\r\n", "hello");
  expect_chunked("0\r\nA: b c \t\xff\r\n\r\nNEXT", "", "NEXT");
}

void test_chunked_errors() {
  const std::vector<std::string> invalid = {
      "g\r\n", "\r\n", " 5\r\nhello\r\n0\r\n\r\n", "-5\r\n", "+5\r\n", "0x5\r\n", "5\n", "5\r\r", "5\rx",
      "5\r\nhelloX\r\n", "5\r\nhello\n", "5\r\nhello\rX", "5\r\nhello\r\n\r\n",
      "00000000000000005\r\nhello\r\n0\r\n\r\n",  // 17 digits
      "5 \r\nhello\r\n", "5 x\r\n", "5;\r\n", "5; \r\n", "5;=v\r\n", "5;a=\r\n", "5;a= \r\n", "5;a b\r\n",
      "5;a=b c\r\n", "5;a \r\n", "5;a=b \r\n", "5;a=\"x\r\n", std::string("5;a=\"x\x01\"\r\n"),
      "5;a=\"x\\\x01\"\r\n", "5;a=\"x\"y\r\n", "5;a\x80\r\n", "5;a@b\r\n", "5;a\n", "5;a=b\n", "5;a=\"b\"\n",
      "5;a=\"b\"\rx", std::string("5;a=\0\r\n", 7), "5,a\r\n",
      "0\r\nX\r\n\r\n", "0\r\n: v\r\n\r\n", "0\r\n X: v\r\n\r\n", "0\r\nX : v\r\n\r\n", "0\r\nX: a\x01\r\n\r\n",
      "0\r\nX: a\n\r\n", "0\r\n\n", "0\r\n\rX", "0\r\nX: a\rb", "0\r\nX: a\r\n\n", "0\r\n\r\r",
  };
  for (const auto &in : invalid) expect_chunked_verdict(in, -1);

  const std::vector<std::string> incomplete = {
      "", "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n",
      "0\r\n\r", "0\r\nX: y\r\n", "5;a=\"x", "ffffffffffffffff\r\nsome",
  };
  for (const auto &in : incomplete) expect_chunked_verdict(in, -2);

  // The decoder stays failed, and stays done.
  ChunkedDecoder d{};
  std::string bad = "zz";
  size_t len = bad.size();
  check(uvhttp::decode_chunked(&d, bad.data(), &len) == -1, "bad size fails");
  std::string more = "5\r\nhello\r\n0\r\n\r\n";
  len = more.size();
  check(uvhttp::decode_chunked(&d, more.data(), &len) == -1, "failed decoder stays failed");
  ChunkedDecoder done{};
  std::string msg = "0\r\n\r\n";
  len = msg.size();
  check(uvhttp::decode_chunked(&done, msg.data(), &len) == 0 && len == 0, "complete");
  std::string next = "NEXT";
  len = next.size();
  ssize_t r = uvhttp::decode_chunked(&done, next.data(), &len);
  check(r == 4 && len == 0 && next == "NEXT", "after completion all input is the next message");
}

void test_chunked_total() {
  ChunkedDecoder d{};
  std::string in = "3\r\nabc\r\n4\r\ndefg\r\n";
  size_t len = in.size();
  ssize_t r = uvhttp::decode_chunked(&d, in.data(), &len);
  check(r == -2 && len == 7 && in.compare(0, 7, "abcdefg") == 0 && d.total == 7, "total counts decoded bytes");
}

}  // namespace

int main() {
  test_valid_requests();
  test_many_headers();
  test_too_many_headers();
  test_request_line_errors();
  test_version_errors();
  test_bare_lf();
  test_header_name_errors();
  test_header_value_errors();
  test_obs_fold();
  test_block_scan_boundaries();
  test_last_len();
  test_pipelined_and_struct_reuse();
  test_chunked_valid();
  test_chunked_errors();
  test_chunked_total();
  return check::summary("parser");
}
