// Unit tests for analyze_message (native/message.h): one group per framing or connection rule.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "http/message.h"
#include "check.h"
#include "http/field_name.h"
#include "http/parser.h"

using uvhttp::HeaderField;
using uvhttp::MessageError;
using uvhttp::MessageInfo;
using uvhttp::RequestHead;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

const char *error_name(MessageError e) {
  switch (e) {
    case MessageError::None: return "None";
    case MessageError::BadContentLength: return "BadContentLength";
    case MessageError::ContentLengthAndChunked: return "ContentLengthAndChunked";
    case MessageError::BadTransferEncoding: return "BadTransferEncoding";
    case MessageError::UnknownTransferEncoding: return "UnknownTransferEncoding";
    case MessageError::MissingHost: return "MissingHost";
    case MessageError::DuplicateHost: return "DuplicateHost";
    case MessageError::BadHost: return "BadHost";
    case MessageError::BadExpect: return "BadExpect";
  }
  return "?";
}

struct Analysis {
  bool parsed = false;
  bool ok = false;
  MessageInfo info{};
};

// Parses "GET / HTTP/1.<minor>" followed by the given header lines, then analyzes the head.
Analysis analyze(int minor, const std::vector<std::string> &lines) {
  std::string in = "POST /x HTTP/1." + std::to_string(minor) + "\r\n";
  for (const auto &l : lines) in += l + "\r\n";
  in += "\r\n";
  std::vector<HeaderField> fields(32);
  RequestHead head{};
  head.headers = fields.data();
  head.num_headers = fields.size();
  Analysis a;
  a.parsed = uvhttp::parse_request(in.data(), in.size(), &head, 0) == static_cast<int>(in.size());
  if (a.parsed) a.ok = uvhttp::analyze_message(head, &a.info);
  return a;
}

std::string describe(int minor, const std::vector<std::string> &lines) {
  std::string s = "HTTP/1." + std::to_string(minor);
  for (const auto &l : lines) s += " [" + l + "]";
  return s;
}

void expect_error(int minor, const std::vector<std::string> &lines, MessageError e) {
  Analysis a = analyze(minor, lines);
  check(a.parsed && !a.ok && a.info.error == e && !a.info.keep_alive,
        describe(minor, lines) + ": expected " + error_name(e) + ", got " + (a.ok ? "ok" : error_name(a.info.error)));
}

// Expected outcome of a request that must be accepted.
struct Accepted {
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool keep_alive = true;
  bool expect_continue = false;
};

void expect_ok(int minor, const std::vector<std::string> &lines, const Accepted &want) {
  Analysis a = analyze(minor, lines);
  const MessageInfo &m = a.info;
  bool ok = a.parsed && a.ok && m.error == MessageError::None && m.has_content_length == want.has_content_length &&
            (!want.has_content_length || m.content_length == want.content_length) && m.chunked == want.chunked &&
            m.keep_alive == want.keep_alive && m.expect_continue == want.expect_continue;
  check(ok, describe(minor, lines) + ": got " + (a.ok ? "ok" : error_name(m.error)) + " cl=" +
                (m.has_content_length ? std::to_string(m.content_length) : "none") + " chunked=" +
                std::to_string(m.chunked) + " keep_alive=" + std::to_string(m.keep_alive) +
                " expect=" + std::to_string(m.expect_continue));
}

Accepted length(uint64_t n) {
  Accepted a;
  a.has_content_length = true;
  a.content_length = n;
  return a;
}

Accepted chunked() {
  Accepted a;
  a.chunked = true;
  return a;
}

Accepted closing(bool keep_alive) {
  Accepted a;
  a.keep_alive = keep_alive;
  return a;
}

void test_defaults() {
  expect_ok(1, {"Host: a"}, Accepted{});
  expect_ok(0, {}, closing(false));
  expect_ok(1, {"Host: a", "Content-Lengths: x", "X-Content-Length: y", "Transfer-Encodin: z"}, Accepted{});
}

void test_host() {
  expect_ok(1, {"Host:"}, Accepted{});  // empty Host is allowed (RFC 9112 3.2)
  expect_ok(1, {"hOsT: a"}, Accepted{});
  expect_error(1, {}, MessageError::MissingHost);
  expect_error(1, {"X-Host: a", "Hosts: b"}, MessageError::MissingHost);
  expect_error(1, {"Host: a", "Host: a"}, MessageError::DuplicateHost);
  expect_error(1, {"host: a", "HOST: b"}, MessageError::DuplicateHost);
  expect_error(0, {"Host: a", "Host: b"}, MessageError::DuplicateHost);
}

// RFC 9112 3.2: uri-host [ ":" port ], no userinfo, no path, one value.
void test_host_grammar() {
  const char *good[] = {
      "example.com", "example.com:8080", "EXAMPLE.com:80", "a", "a:", "a:0", "a:65535", "a:00080",
      "127.0.0.1", "127.0.0.1:80", "999.1.1.1",  // not an IPv4address, but a valid reg-name
      "a-b.c_d~e", "%41b", "%4a%4F", "a!$&'()*+;=b", "xn--bcher-kva.example",
      "[::1]", "[::1]:80", "[::]", "[1:2:3:4:5:6:7:8]", "[1::8]", "[1:2:3:4:5:6:7::]", "[::2:3:4:5:6:7:8]",
      "[fe80::abcd:EF01]", "[::ffff:192.0.2.1]", "[1:2:3:4:5:6:1.2.3.4]", "[64:ff9b::255.255.255.255]",
      "[v1.x]", "[V1F.a:b!]:443", ":80",  // an empty reg-name is in the grammar
  };
  for (const char *v : good) expect_ok(1, {std::string("Host: ") + v}, Accepted{});
  expect_ok(1, {"Host:   example.com  "}, Accepted{});  // OWS around the value is not part of it
  expect_ok(0, {"Host: [::1]:8080"}, closing(false));

  const char *bad[] = {
      "a@b", "user:pw@a", "@a", "a/b", "a/", "/", "a b", "a,b", "a, b", ",", "a:99999", "a:65536",
      "a:000080", "a:1x", "a:-1", "a:+1", "a:1:2", "a?b", "a#b", "a\\b", "a\"b", "a<b", "a%", "a%4",
      "a%4g", "%zz", "[::1", "::1", "[::1]x", "[::1]:8x", "[::1]]", "[]", "[:]", "[:::]", "[1:::2]",
      "[1::2::3]", "[12345::]", "[1:2:3:4:5:6:7:8:9]", "[1:2:3:4:5:6:7]", "[1::2:3:4:5:6:7:8]", "[1:]",
      "[:1]", "[::1:]", "[g::]", "[::1.2.3]", "[::1.2.3.256]", "[::01.2.3.4]", "[::1.2.3.4:5]",
      "[1.2.3.4]", "[1:2:3:4:5:6:7:1.2.3.4]", "[v1]", "[v.x]", "[v1.]", "[v1.a,b]", "[v1.a/b]",
      "[fe80::1%25eth0]", "a[b]", "\xc3\xa9.example",
  };
  for (const char *v : bad) expect_error(1, {std::string("Host: ") + v}, MessageError::BadHost);
  expect_error(0, {"Host: a@b"}, MessageError::BadHost);
  expect_error(1, {"Connection: close", "Host: a b", "Content-Length: 1"}, MessageError::BadHost);
}

void test_content_length() {
  expect_ok(1, {"Host: a", "Content-Length: 5"}, length(5));
  expect_ok(1, {"Host: a", "content-length: 0"}, length(0));
  expect_ok(1, {"Host: a", "CONTENT-LENGTH:  42  "}, length(42));
  expect_ok(1, {"Host: a", "Content-Length: 5, 5"}, length(5));
  expect_ok(1, {"Host: a", "Content-Length: 5,5 ,\t5"}, length(5));
  expect_ok(1, {"Host: a", "Content-Length: 5", "Content-Length: 5"}, length(5));
  expect_ok(1, {"Host: a", "Content-Length: 007"}, length(7));
  expect_ok(1, {"Host: a", "Content-Length: 9223372036854775807"}, length(9223372036854775807ull));
  expect_ok(0, {"Content-Length: 3"}, [] {
    Accepted a = length(3);
    a.keep_alive = false;
    return a;
  }());
  const char *bad[] = {"",    "+5",  "-5",   "5a",  "0x5",  "5 5",  "5,",    ",5",
                       "5,,5", "5, 6", "1.0", "1e3", "\xd9\xa5", "9223372036854775808", "99999999999999999999"};
  for (const char *v : bad) expect_error(1, {"Host: a", std::string("Content-Length: ") + v}, MessageError::BadContentLength);
  expect_error(1, {"Host: a", "Content-Length: 5", "Content-Length: 6"}, MessageError::BadContentLength);
  expect_error(1, {"Host: a", "Content-Length: 5", "Content-Length: 5, 7"}, MessageError::BadContentLength);
}

void test_transfer_encoding() {
  expect_ok(1, {"Host: a", "Transfer-Encoding: chunked"}, chunked());
  expect_ok(1, {"Host: a", "transfer-encoding: CHUNKED"}, chunked());
  expect_ok(1, {"Host: a", "Transfer-Encoding: Chunked"}, chunked());
  expect_ok(1, {"Host: a", "Transfer-Encoding: chunked,"}, chunked());       // empty elements are ignored
  expect_ok(1, {"Host: a", "Transfer-Encoding: , chunked"}, chunked());
  expect_ok(1, {"Host: a", "Transfer-Encoding:", "Transfer-Encoding: chunked"}, chunked());

  expect_error(0, {"Transfer-Encoding: chunked"}, MessageError::BadTransferEncoding);
  expect_error(0, {"Transfer-Encoding: chunked", "Content-Length: 5"}, MessageError::BadTransferEncoding);
  expect_error(1, {"Host: a", "Transfer-Encoding: chunked", "Content-Length: 5"}, MessageError::ContentLengthAndChunked);
  expect_error(1, {"Host: a", "Content-Length: 5", "Transfer-Encoding: chunked"}, MessageError::ContentLengthAndChunked);
  expect_error(1, {"Host: a", "Content-Length: 0", "Transfer-Encoding: gzip"}, MessageError::ContentLengthAndChunked);

  const char *not_final[] = {"gzip", "identity", "chunked, gzip", "", ",", "chunked, identity"};
  for (const char *v : not_final) {
    expect_error(1, {"Host: a", std::string("Transfer-Encoding: ") + v}, MessageError::BadTransferEncoding);
  }
  const char *malformed[] = {"chunked;q=1", "chunked x", "\"chunked\"", "chunked\xff", "chun ked", "chunked/1",
                             "chunked, chunked", "chunked,chunked", ";chunked", "gzip, chunked, chunked"};
  for (const char *v : malformed) {
    expect_error(1, {"Host: a", std::string("Transfer-Encoding: ") + v}, MessageError::BadTransferEncoding);
  }
  expect_error(1, {"Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"},
               MessageError::BadTransferEncoding);
  expect_error(1, {"Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"},
               MessageError::BadTransferEncoding);

  const char *unknown[] = {"gzip, chunked", "deflate, chunked", "compress,chunked", "identity, chunked",
                           "x-custom, chunked", "gzip;level=9, chunked", "gzip, deflate, chunked"};
  for (const char *v : unknown) {
    expect_error(1, {"Host: a", std::string("Transfer-Encoding: ") + v}, MessageError::UnknownTransferEncoding);
  }
  expect_error(1, {"Host: a", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked"},
               MessageError::UnknownTransferEncoding);
}

void test_connection() {
  expect_ok(1, {"Host: a", "Connection: close"}, closing(false));
  expect_ok(1, {"Host: a", "connection: CLOSE"}, closing(false));
  expect_ok(1, {"Host: a", "Connection: upgrade, close"}, closing(false));
  expect_ok(1, {"Host: a", "Connection: ,close,"}, closing(false));
  expect_ok(1, {"Host: a", "Connection: upgrade", "Connection: close"}, closing(false));
  expect_ok(1, {"Host: a", "Connection: keep-alive, close"}, closing(false));
  expect_ok(1, {"Host: a", "Connection: closed"}, closing(true));
  expect_ok(1, {"Host: a", "Connection: close-ish, x"}, closing(true));
  expect_ok(1, {"Host: a", "Connection: keep-alive"}, closing(true));
  expect_ok(0, {"Connection: keep-alive"}, closing(true));
  expect_ok(0, {"Connection: Keep-Alive"}, closing(true));
  expect_ok(0, {"Connection: foo ,  keep-alive "}, closing(true));
  expect_ok(0, {"Connection: keep-alive, close"}, closing(false));
  expect_ok(0, {"Connection: keep-alived"}, closing(false));
  expect_ok(0, {"Connection: close"}, closing(false));
}

void test_expect() {
  Accepted with_continue;
  with_continue.expect_continue = true;
  expect_ok(1, {"Host: a", "Expect: 100-continue"}, with_continue);
  expect_ok(1, {"Host: a", "expect: 100-Continue"}, with_continue);
  expect_ok(1, {"Host: a", "Expect: 100-continue", "Expect: 100-CONTINUE"}, with_continue);
  // RFC 9110 10.1.1: ignored in HTTP/1.0.
  expect_ok(0, {"Expect: 100-continue"}, closing(false));
  const char *bad[] = {"", "foo", "100-continue, foo", "100-continues", "200-ok", "100 continue"};
  for (const char *v : bad) expect_error(1, {"Host: a", std::string("Expect: ") + v}, MessageError::BadExpect);
  expect_error(0, {"Expect: something"}, MessageError::BadExpect);
}

// analyze_message must not rely on the parser having checked the bytes.
void test_raw_fields() {
  const char name[] = "Content-Length";
  const char value[] = "12";
  HeaderField fields[2] = {{name, 14, value, 2}, {"Host\r", 4, "", 0}};
  RequestHead head{};
  head.headers = fields;
  head.num_headers = 2;
  head.minor_version = 1;
  MessageInfo m{};
  check(uvhttp::analyze_message(head, &m) && m.has_content_length && m.content_length == 12, "hand-built head");
  head.num_headers = 0;
  check(!uvhttp::analyze_message(head, &m) && m.error == MessageError::MissingHost, "no fields at all");
}

// The one case-insensitive comparison every header lookup and token match goes through.
void test_field_name() {
  using uvhttp::field_name_is;
  using uvhttp::token_is;
  check(token_is("content-length", "content-length"), "same bytes");
  check(token_is("Content-Length", "content-length"), "capitalized");
  check(token_is("CONTENT-LENGTH", "content-length"), "upper case");
  check(token_is("cOnTeNt-LeNgTh", "content-length"), "mixed case");
  check(token_is("AZ", "az"), "the first and last letters fold");
  check(token_is("", ""), "both empty");
  check(!token_is("host", "hos"), "longer than the name");
  check(!token_is("hos", "host"), "a prefix of the name");
  check(!token_is("", "a"), "empty against a name");
  check(!token_is("hosts", "host"), "the name is a prefix of it");
  check(!token_is("content-lengtx", "content-length"), "the last byte differs");
  check(!token_is("xontent-length", "content-length"), "the first byte differs");
  // Only letters fold: a fold by adding 32 (or OR-ing 0x20) to every byte would take '\r' for '-',
  // '@' for '`', '[' for '{' and a byte above 0x7f for another.
  check(!token_is("a\rb", "a-b"), "CR is not '-'");
  check(!token_is("content\rlength", "content-length"), "CR in place of '-' in a name");
  check(!token_is("@", "`"), "'@' is not '`'");
  check(!token_is("[", "{"), "'[' is not '{'");
  check(!token_is("\xc1", "\xe1"), "bytes above 0x7f do not fold");
  check(token_is("x-gzip", "x-gzip") && token_is("100-CONTINUE", "100-continue"), "digits and '-' compare as they are");
  // The caller writes the lower-case side: an upper-case letter there matches nothing.
  check(!token_is("HOST", "HOST") && !token_is("host", "Host"), "an upper-case literal matches nothing");

  const char bytes[] = "Hostname: x";
  const HeaderField host{bytes, 4, bytes + 10, 1};
  check(field_name_is(host, "host"), "a field's name is its name_len bytes, not up to NUL");
  check(!field_name_is(host, "hostname"), "bytes past name_len are not the name");
  const HeaderField inm{"If-None-Match", 13, "", 0};
  check(field_name_is(inm, "if-none-match"), "field name, mixed case");
  check(!field_name_is(inm, "if-match") && !field_name_is(inm, "if-none-matc"), "other names");
}

}  // namespace

int main() {
  test_field_name();
  test_defaults();
  test_host();
  test_host_grammar();
  test_content_length();
  test_transfer_encoding();
  test_connection();
  test_expect();
  test_raw_fields();
  return check::summary("message");
}
