// Unit tests for the access log (native/core/access_log.h) without a socket: lines for requests
// answered while routed and answered later, streamed answers, abandoned and unnamed requests, each
// format, escaping of every byte a client could send in a field, and reopening after a rename.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "core/access_log.h"

using uvhttp::AccessLog;
using uvhttp::AccessLogFormat;
using uvhttp::ConnectionLog;
using uvhttp::HeaderField;
using uvhttp::RequestHead;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

std::string dir;

std::vector<std::string> read_lines(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// A request head over caller-owned strings, as the parser leaves one.
struct Head {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<HeaderField> storage;
  RequestHead head{};
  Head(std::string m, std::string t, std::vector<std::pair<std::string, std::string>> f = {}, int minor = 1)
      : method(std::move(m)), target(std::move(t)), fields(std::move(f)) {
    for (auto &kv : fields) storage.push_back(HeaderField{kv.first.data(), kv.first.size(), kv.second.data(), kv.second.size()});
    head.method = method.data();
    head.method_len = method.size();
    head.target = target.data();
    head.target_len = target.size();
    head.minor_version = minor;
    head.headers = storage.data();
    head.num_headers = storage.size();
  }
};

std::unique_ptr<AccessLog> open_log(const std::string &name, AccessLogFormat f) {
  int err = 0;
  auto log = AccessLog::open(dir + "/" + name, f, &err);
  check(log != nullptr && err == 0, "opened " + name);
  return log;
}

const std::string kClfTime = R"(\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\])";

void combined() {
  auto log = open_log("combined.log", AccessLogFormat::Combined);
  ConnectionLog c;
  c.client = "192.0.2.1";
  Head a("GET", "/a?x=1", {{"Host", "h"}, {"REFERER", "http://r/"}, {"user-agent", "ua/1"}});
  log->begin(c, 0, a.head);
  log->finish(c, 0, 200, 5); // answered while routed
  log->keep(c);
  Head b("POST", "/b", {}, 0);
  log->begin(c, 1, b.head);
  log->keep(c); // went to JS
  check(c.pending.size() == 1, "a JS request waits for its answer");
  log->finish(c, 1, 201, 0);
  check(c.pending.empty(), "its answer took it");
  log->finish(c, 7, 400, 11); // malformed: never routed
  Head s("GET", "/stream");
  log->begin(c, 8, s.head);
  log->keep(c);
  log->started(c, 8, 206, 3);
  log->sent(c, 8, 4);
  log->finish(c, 8, 0, 5);
  Head gone("GET", "/gone");
  log->begin(c, 9, gone.head);
  log->keep(c);
  log->abandon(c);
  check(log->lines() == 5, "five lines");
  log.reset(); // flushes
  auto lines = read_lines(dir + "/combined.log");
  const std::vector<std::string> tails = {
      R"( "GET /a\?x=1 HTTP/1\.1" 200 5 "http://r/" "ua/1")",
      R"( "POST /b HTTP/1\.0" 201 - "-" "-")",
      R"( "-" 400 11 "-" "-")",
      R"( "GET /stream HTTP/1\.1" 206 12 "-" "-")",
      R"( "GET /gone HTTP/1\.1" 499 - "-" "-")",
  };
  check(lines.size() == tails.size(), "combined: " + std::to_string(lines.size()) + " lines");
  for (size_t i = 0; i < lines.size() && i < tails.size(); ++i)
    check(std::regex_match(lines[i], std::regex("192\\.0\\.2\\.1 - - " + kClfTime + tails[i])), "combined line: " + lines[i]);
}

void common_and_escaping() {
  auto log = open_log("common.log", AccessLogFormat::Common);
  ConnectionLog c;
  c.client = "-";
  // Every byte value in the target: only printable ASCII but " and \ goes through as it is.
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  Head a("GET", all, {{"User-Agent", "not in common"}});
  log->begin(c, 0, a.head);
  log->finish(c, 0, 200, 1);
  log.reset();
  auto lines = read_lines(dir + "/common.log");
  check(lines.size() == 1, "one common line");
  const std::string &l = lines.empty() ? std::string() : lines[0];
  check(l.find("not in common") == std::string::npos, "common has no User-Agent");
  check(l.find("\\x22") != std::string::npos && l.find("\\x5c") != std::string::npos && l.find("\\x0a") != std::string::npos &&
            l.find("\\x7f") != std::string::npos && l.find("\\xff") != std::string::npos,
        "quote, backslash, LF, DEL and high bytes escaped: " + l);
  // Outside the escapes, the line is printable ASCII with exactly the quotes the format puts.
  size_t quotes = 0;
  bool printable = true;
  for (unsigned char ch : l) {
    if (ch == '"') ++quotes;
    if (ch < 0x20 || ch > 0x7e) printable = false;
  }
  check(printable && quotes == 2, "one quoted field, all printable: quotes=" + std::to_string(quotes));
}

void json() {
  auto log = open_log("json.log", AccessLogFormat::Json);
  ConnectionLog c;
  c.client = "2001:db8::1";
  Head a("GET", "/q?a=\"b\"\\", {{"User-Agent", std::string("x\x01y\xe9", 4)}});
  log->begin(c, 0, a.head);
  log->finish(c, 0, 404, 9);
  log->keep(c);
  log->finish(c, 3, 408, 0);
  log.reset();
  auto lines = read_lines(dir + "/json.log");
  check(lines.size() == 2, "two JSON lines");
  if (lines.size() == 2) {
    check(std::regex_match(lines[0], std::regex(R"(\{"time":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z","remote":"2001:db8::1",)"
                                                R"("method":"GET","url":"/q\?a=\\"b\\"\\\\","protocol":"HTTP/1\.1",)"
                                                R"("status":404,"bytes":9,"ms":\d+\.\d{3},"userAgent":"x\\u0001y\\u00e9"\})")),
          "json line: " + lines[0]);
    check(std::regex_match(lines[1], std::regex(R"(\{"time":"[^"]+Z","remote":"2001:db8::1","status":408,"bytes":0\})")),
          "json line without a request: " + lines[1]);
  }
}

void reopen() {
  const std::string path = dir + "/rotate.log";
  auto log = open_log("rotate.log", AccessLogFormat::Common);
  ConnectionLog c;
  c.client = "c";
  Head a("GET", "/before");
  log->begin(c, 0, a.head);
  log->finish(c, 0, 200, 1);
  log->flush();
  check(std::rename(path.c_str(), (path + ".1").c_str()) == 0, "renamed");
  Head b("GET", "/after");
  log->begin(c, 1, b.head);
  log->finish(c, 1, 200, 1);
  check(log->reopen() == 0, "reopened");
  log.reset();
  auto old_lines = read_lines(path + ".1"), new_lines = read_lines(path);
  check(old_lines.size() == 2 && old_lines[0].find("/before") != std::string::npos && old_lines[1].find("/after") != std::string::npos,
        "lines buffered before the reopen go to the old file");
  check(new_lines.empty(), "the new file starts empty");

  int err = 0;
  check(AccessLog::open(dir + "/missing/x.log", AccessLogFormat::Common, &err) == nullptr && err == ENOENT,
        "a path in a missing directory: ENOENT");
}

} // namespace

int main() {
  char templ[] = "/tmp/uvhttp-access-log-XXXXXX";
  if (!mkdtemp(templ)) return 2;
  dir = templ;
  combined();
  common_and_escaping();
  json();
  reopen();
  std::system(("rm -rf '" + dir + "'").c_str());
  return check::summary("access_log");
}
