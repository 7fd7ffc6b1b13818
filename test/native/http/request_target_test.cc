// Unit tests for classify_target (native/request_target.h): every target form against every kind of
// method, the parts to route, and the same verdicts on targets read by the parser from raw bytes.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "guarded_page.h"
#include "http/http_errors.h"
#include "http/parser.h"
#include "http/request_target.h"

using uvhttp::HttpError;
using uvhttp::RequestTarget;
using uvhttp::TargetForm;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

GuardedBuffer &guard() {
  static GuardedBuffer g(4096);
  return g;
}

const char *form_name(TargetForm f) {
  switch (f) {
    case TargetForm::Origin: return "Origin";
    case TargetForm::Absolute: return "Absolute";
    case TargetForm::Asterisk: return "Asterisk";
  }
  return "?";
}

const char *error_name(HttpError e) {
  switch (e) {
    case HttpError::BadTargetForm: return "BadTargetForm";
    case HttpError::ConnectNotSupported: return "ConnectNotSupported";
    default: return "other error";
  }
}

// What classify_target should answer: an error, or a form with the part to route.
struct Want {
  bool ok;
  HttpError error;
  TargetForm form;
  std::string origin;  // target.substr(origin_offset, origin_len)
  std::string path;    // its first path_len bytes
};

Want ok(TargetForm form, std::string origin, std::string path) { return {true, HttpError::BadRequest, form, origin, path}; }
Want err(HttpError e) { return {false, e, TargetForm::Origin, "", ""}; }

std::string show(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c >= 0x20 && c < 0x7f) out += c;
    else out += "\\x" + std::string(1, "0123456789abcdef"[(c >> 4) & 15]) + "0123456789abcdef"[c & 15];
  }
  return out;
}

// The target sits right before a guard page, so a read past its end faults even without ASan.
void expect(std::string_view method, const std::string &target, const Want &want) {
  const char *t = guard().place(target);
  RequestTarget rt{};
  HttpError e = HttpError::BadRequest;
  bool got = uvhttp::classify_target(method, std::string_view(t, target.size()), &rt, &e);
  std::string what = std::string(method) + " " + show(target) + ": ";
  if (!want.ok) {
    check(!got && e == want.error, what + "expected " + error_name(want.error) + ", got " +
                                       (got ? form_name(rt.form) : error_name(e)));
    return;
  }
  if (!check(got, what + "expected " + form_name(want.form) + ", got " + error_name(e))) return;
  bool inside = rt.origin_offset <= target.size() && rt.origin_len <= target.size() - rt.origin_offset &&
                rt.path_len <= rt.origin_len;
  if (!check(inside, what + "parts outside the target")) return;
  std::string origin = target.substr(rt.origin_offset, rt.origin_len);
  std::string path = origin.substr(0, rt.path_len);
  check(rt.form == want.form && origin == want.origin && path == want.path,
        what + "got " + form_name(rt.form) + " origin [" + origin + "] path [" + path + "], expected " +
            form_name(want.form) + " [" + want.origin + "] [" + want.path + "]");
}

const std::vector<std::string> kMethods = {"GET",   "HEAD",  "POST",    "PUT",      "DELETE", "PATCH",
                                           "TRACE", "OPTIONS", "CONNECT", "connect", "M-SEARCH"};

// A target whose verdict does not depend on the method (CONNECT aside, which is always refused).
struct Case {
  std::string target;
  Want want;
};

// Every case with every method: CONNECT is refused whatever the target, the rest get the case's verdict.
void expect_for_all_methods(const std::vector<Case> &cases) {
  for (const auto &c : cases) {
    for (const auto &m : kMethods) expect(m, c.target, m == "CONNECT" ? err(HttpError::ConnectNotSupported) : c.want);
  }
}

void test_origin_form() {
  expect_for_all_methods({
      {"/", ok(TargetForm::Origin, "/", "/")},
      {"/a", ok(TargetForm::Origin, "/a", "/a")},
      {"/a/b?x=1&y", ok(TargetForm::Origin, "/a/b?x=1&y", "/a/b")},
      {"/?", ok(TargetForm::Origin, "/?", "/")},
      {"/a?b?c", ok(TargetForm::Origin, "/a?b?c", "/a")},
      {"/a?b/c", ok(TargetForm::Origin, "/a?b/c", "/a")},
      {"//a", ok(TargetForm::Origin, "//a", "//a")},
      {"/*", ok(TargetForm::Origin, "/*", "/*")},
      {"/http://a/", ok(TargetForm::Origin, "/http://a/", "/http://a/")},
      {"/a:80", ok(TargetForm::Origin, "/a:80", "/a:80")},
  });
}

void test_absolute_form() {
  expect_for_all_methods({
      {"http://a/", ok(TargetForm::Absolute, "/", "/")},
      {"http://a", ok(TargetForm::Absolute, "", "")},  // empty path: the caller routes "/"
      {"http://a?x=1", ok(TargetForm::Absolute, "?x=1", "")},
      {"https://example.com:443/p/q?r=1", ok(TargetForm::Absolute, "/p/q?r=1", "/p/q")},
      {"HTTP://A.EXAMPLE/X", ok(TargetForm::Absolute, "/X", "/X")},
      {"h+t-t.p1://a/b", ok(TargetForm::Absolute, "/b", "/b")},
      {"coap://h/x", ok(TargetForm::Absolute, "/x", "/x")},
      {"http://[::1]:8080/x", ok(TargetForm::Absolute, "/x", "/x")},
      {"http://[::1]", ok(TargetForm::Absolute, "", "")},
      {"http://[v1.a:b]/", ok(TargetForm::Absolute, "/", "/")},
      {"http://127.0.0.1/x?", ok(TargetForm::Absolute, "/x?", "/x")},
      {"http://a:/x", ok(TargetForm::Absolute, "/x", "/x")},  // port = *DIGIT may be empty
      {"http://%41b.c/", ok(TargetForm::Absolute, "/", "/")},
      {"http://a//b", ok(TargetForm::Absolute, "//b", "//b")},
      {"http://a/?q=http://b/", ok(TargetForm::Absolute, "/?q=http://b/", "/")},
  });
}

void test_asterisk_form() {
  for (const auto &m : kMethods) {
    Want want = m == "OPTIONS"   ? ok(TargetForm::Asterisk, "", "")
                : m == "CONNECT" ? err(HttpError::ConnectNotSupported)
                                 : err(HttpError::BadTargetForm);
    expect(m, "*", want);
  }
  expect("OPTIONS", "/", ok(TargetForm::Origin, "/", "/"));
  expect("OPTIONS", "http://a/*", ok(TargetForm::Absolute, "/*", "/*"));
  expect("OPTIONS", "**", err(HttpError::BadTargetForm));
  expect("OPTIONS", "*/", err(HttpError::BadTargetForm));
  expect("OPTIONS", "*?x", err(HttpError::BadTargetForm));
  expect("options", "*", err(HttpError::BadTargetForm));  // methods are case-sensitive
}

// CONNECT is refused for every target, including the authority-form it is meant for; any other
// method with an authority-form target is in no form at all.
void test_authority_form() {
  const char *authorities[] = {"example.com:443", "a:80", "[::1]:443", "127.0.0.1:8080", "a", "a:99999"};
  for (const char *a : authorities) {
    for (const auto &m : kMethods) {
      expect(m, a, m == "CONNECT" ? err(HttpError::ConnectNotSupported) : err(HttpError::BadTargetForm));
    }
  }
  expect("CONNECT", "", err(HttpError::ConnectNotSupported));
  expect("CONNECT", "http://a/", err(HttpError::ConnectNotSupported));
}

void test_no_form() {
  std::vector<Case> cases;
  const char *bad[] = {
      "", "a", "foo", "?x", ".", "%2F", "\\a", "~", "#f",
      // not scheme "://": no authority and no path to route
      "http:/x", "http:x", "http:", "http//a/", "urn:isbn:1", "mailto:a@b", "data:,x",
      // not a scheme
      "://a/", "1http://a/", "ht_tp://a/", "-x://a/", "+x://a/", "http ://a/",
      // no host
      "http://", "http:///x", "http://?x", "http://:80/x", "http://:/",
      // an authority the Host grammar refuses
      "http://u@a/", "http://u:p@a/x", "http://@a/", "http://a b/", "http://a,b/", "http://a:99999/",
      "http://a:65536", "http://a:1x/", "http://a:1:2/", "http://[::1/", "http://[::1]x/", "http://[]/",
      "http://a#f", "http://a\\b/", "http://a%zz/", "http://\xc3\xa9/",
  };
  for (const char *t : bad) cases.push_back({t, err(HttpError::BadTargetForm)});
  expect_for_all_methods(cases);
}

// The verdicts above, on targets the parser has read from a request line: the parser must let
// every form through, and hand over exactly the target bytes.
void test_from_parser() {
  struct Raw {
    std::string request;
    Want want;
  };
  const Raw raws[] = {
      {"GET /a?b HTTP/1.1\r\nHost: a\r\n\r\n", ok(TargetForm::Origin, "/a?b", "/a")},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", ok(TargetForm::Asterisk, "", "")},
      {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", err(HttpError::BadTargetForm)},
      {"GET http://a.example/x?y HTTP/1.1\r\nHost: a.example\r\n\r\n", ok(TargetForm::Absolute, "/x?y", "/x")},
      {"POST http://[::1]:8080 HTTP/1.0\r\n\r\n", ok(TargetForm::Absolute, "", "")},
      {"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", err(HttpError::BadTargetForm)},
      {"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", err(HttpError::ConnectNotSupported)},
      {"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", err(HttpError::ConnectNotSupported)},
      {"GET a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n", err(HttpError::BadTargetForm)},
      {"GET foo HTTP/1.1\r\nHost: a\r\n\r\n", err(HttpError::BadTargetForm)},
  };
  for (const auto &raw : raws) {
    uvhttp::HeaderField fields[8];
    uvhttp::RequestHead head{};
    head.headers = fields;
    head.num_headers = 8;
    int r = uvhttp::parse_request(raw.request.data(), raw.request.size(), &head, 0);
    if (!check(r == static_cast<int>(raw.request.size()), "parser rejected " + show(raw.request))) continue;
    expect(std::string_view(head.method, head.method_len), std::string(head.target, head.target_len), raw.want);
  }
}

// The rows the connection will send for these errors.
void test_error_rows() {
  auto row = [](HttpError e, int status, std::string_view body) {
    const uvhttp::ErrorResponse &r = uvhttp::error_response(e);
    check(r.status == status && r.body == body && r.status_line.substr(9, 3) == std::to_string(status),
          "error row for " + std::string(body));
  };
  row(HttpError::BadTargetForm, 400, "invalid request-target form");
  row(HttpError::ConnectNotSupported, 501, "CONNECT is not supported");
  row(uvhttp::error_for(uvhttp::MessageError::BadHost), 400, "invalid host header");
}

void test_route_path() {
  const auto path_of = [](std::string_view method, std::string_view target) {
    uvhttp::RequestTarget t{};
    uvhttp::HttpError e{};
    if (!uvhttp::classify_target(method, target, &t, &e)) return std::string("(refused)");
    return std::string(uvhttp::route_path(target, t));
  };
  check(path_of("GET", "/a/b?x=1") == "/a/b", "origin-form: the path before the query");
  check(path_of("GET", "/") == "/", "origin-form: /");
  check(path_of("GET", "http://h.example/p?q") == "/p", "absolute-form: the path after the authority");
  check(path_of("GET", "http://h.example") == "/", "absolute-form, empty path: /");
  check(path_of("GET", "http://h.example?q=1") == "/", "absolute-form, empty path with a query: /");
  check(path_of("OPTIONS", "*") == "/", "asterisk-form: an empty path");
}

}  // namespace

int main() {
  test_route_path();
  test_origin_form();
  test_absolute_form();
  test_asterisk_form();
  test_authority_form();
  test_no_form();
  test_from_parser();
  test_error_rows();
  return check::summary("request_target");
}
