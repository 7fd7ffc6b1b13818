// Unit tests for Accept-Encoding negotiation (native/http/content_coding.h): names and their case,
// every qvalue shape, "*" before and after named codings across several fields, malformed elements,
// and choose_coding's tie-breaking by the configured order. Inputs end right before a guarded page.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "guarded_page.h"
#include "http/content_coding.h"

using uvhttp::AcceptEncoding;
using uvhttp::ContentCoding;

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

GuardedBuffer &guard() {
  static GuardedBuffer g(1 << 17);
  return g;
}

constexpr size_t kBr = 0, kGzip = 1, kZstd = 2;

// Reads the fields in order, each from the end of the guarded page.
AcceptEncoding read(std::vector<std::string> fields) {
  AcceptEncoding ae;
  std::memset(&ae, 0xa5, sizeof(ae));  // init must not rely on the caller zeroing
  uvhttp::init_accept_encoding(&ae);
  for (const std::string &f : fields) uvhttp::add_accept_encoding(&ae, std::string_view(guard().place(f), f.size()));
  return ae;
}

std::string join(const std::vector<std::string> &fields) {
  std::string s;
  for (const std::string &f : fields) s += (s.empty() ? "[" : " | [") + f + "]";
  return s.empty() ? "(none)" : s;
}

// The q of br, gzip and zstd after reading fields.
void qs(std::vector<std::string> fields, unsigned br, unsigned gzip, unsigned zstd) {
  AcceptEncoding ae = read(fields);
  check(ae.q[kBr] == br && ae.q[kGzip] == gzip && ae.q[kZstd] == zstd,
        join(fields) + ": want br " + std::to_string(br) + " gzip " + std::to_string(gzip) + " zstd " +
            std::to_string(zstd) + ", got " + std::to_string(ae.q[kBr]) + " " + std::to_string(ae.q[kGzip]) + " " +
            std::to_string(ae.q[kZstd]));
}

void q_gzip(const std::string &field, unsigned want) {
  AcceptEncoding ae = read({field});
  check(ae.q[kGzip] == want, "[" + field + "]: gzip q " + std::to_string(want) + ", got " + std::to_string(ae.q[kGzip]));
}

void test_names() {
  qs({}, 0, 0, 0);
  qs({""}, 0, 0, 0);
  qs({"   "}, 0, 0, 0);
  qs({"gzip"}, 0, 1000, 0);
  qs({"br"}, 1000, 0, 0);
  qs({"zstd"}, 0, 0, 1000);
  qs({"gzip, br, zstd"}, 1000, 1000, 1000);
  qs({"GZIP"}, 0, 1000, 0);
  qs({"Br"}, 1000, 0, 0);
  qs({"ZSTD"}, 0, 0, 1000);
  qs({"x-gzip"}, 0, 1000, 0);
  qs({"X-GZip"}, 0, 1000, 0);
  qs({"identity"}, 0, 0, 0);
  qs({"deflate, compress, x-compress"}, 0, 0, 0);
  qs({"gzip2, brotli, zst, gz, xgzip, x-br"}, 0, 0, 0);
  qs({"g zip"}, 0, 0, 0);
  qs({"gzip br"}, 0, 0, 0);  // two tokens without a comma: one malformed element
  qs({"\"gzip\""}, 0, 0, 0);
  qs({"gzip\x01"}, 0, 0, 0);
  qs({"gzip\x7f"}, 0, 0, 0);
  qs({"gzi\xf0"}, 0, 0, 0);
  qs({std::string("gzip\0", 5)}, 0, 0, 0);
  qs({"gzip/1"}, 0, 0, 0);
  qs({"gzip=1"}, 0, 0, 0);
  qs({"gzip;"}, 0, 0, 0);
  qs({";q=1"}, 0, 0, 0);
  qs({"*x"}, 0, 0, 0);
  qs({"x*"}, 0, 0, 0);
  qs({"**"}, 0, 0, 0);
}

void test_list_syntax() {
  qs({"gzip,br"}, 1000, 1000, 0);
  qs({" gzip , br "}, 1000, 1000, 0);
  qs({"\tgzip\t,\tbr\t"}, 1000, 1000, 0);
  qs({",,gzip,, ,br,"}, 1000, 1000, 0);
  qs({","}, 0, 0, 0);
  qs({"bogus, gzip"}, 0, 1000, 0);
  qs({"gzip;q=x, br"}, 1000, 0, 0);  // the malformed element alone is ignored
  qs({"br, gzip;q=x"}, 1000, 0, 0);
  qs({"gzip\r\n, br"}, 1000, 0, 0);
  std::string long_list;
  for (int i = 0; i < 10000; ++i) long_list += "c" + std::to_string(i) + ";q=0.5, ";
  qs({long_list + "zstd;q=0.25"}, 0, 0, 250);
  qs({std::string(100000, ',')}, 0, 0, 0);
  qs({std::string(100000, ' ')}, 0, 0, 0);
  qs({std::string(100000, 'g')}, 0, 0, 0);
}

void test_qvalues() {
  q_gzip("gzip;q=1", 1000);
  q_gzip("gzip;q=1.", 1000);
  q_gzip("gzip;q=1.0", 1000);
  q_gzip("gzip;q=1.00", 1000);
  q_gzip("gzip;q=1.000", 1000);
  q_gzip("gzip;Q=1.000", 1000);
  q_gzip("gzip;q=0", 0);
  q_gzip("gzip;q=0.", 0);
  q_gzip("gzip;q=0.000", 0);
  q_gzip("gzip;q=0.5", 500);
  q_gzip("gzip;q=0.50", 500);
  q_gzip("gzip;q=0.500", 500);
  q_gzip("gzip;q=0.05", 50);
  q_gzip("gzip;q=0.005", 5);
  q_gzip("gzip;q=0.001", 1);
  q_gzip("gzip;q=0.999", 999);
  q_gzip("gzip;q=0.123", 123);
  q_gzip("gzip ;q=0.5", 500);
  q_gzip("gzip; q=0.5", 500);
  q_gzip("gzip \t; \tq=0.5 \t", 500);
  // Malformed: the element is ignored, so gzip stays at 0 (not 1).
  q_gzip("gzip;q=1.0001", 0);
  q_gzip("gzip;q=0.0001", 0);
  q_gzip("gzip;q=1.001", 0);
  q_gzip("gzip;q=1.5", 0);
  q_gzip("gzip;q=1.1", 0);
  q_gzip("gzip;q=2", 0);
  q_gzip("gzip;q=10", 0);
  q_gzip("gzip;q=01", 0);
  q_gzip("gzip;q=00.5", 0);
  q_gzip("gzip;q=.5", 0);
  q_gzip("gzip;q=", 0);
  q_gzip("gzip;q", 0);
  q_gzip("gzip;q =0.5", 0);
  q_gzip("gzip;q= 0.5", 0);
  q_gzip("gzip;q=0 .5", 0);
  q_gzip("gzip;q=0.5 5", 0);
  q_gzip("gzip;q=-0", 0);
  q_gzip("gzip;q=+1", 0);
  q_gzip("gzip;q=0x1", 0);
  q_gzip("gzip;q=1e0", 0);
  q_gzip("gzip;q=0,5", 0);  // "5" is the next (unknown) element; "gzip;q=0" is q 0
  q_gzip("gzip;q=0.5a", 0);
  q_gzip("gzip;q=\"0.5\"", 0);
  q_gzip("gzip;q=0.5;q=1", 0);
  q_gzip("gzip;level=9", 0);  // only the weight parameter exists for Accept-Encoding
  q_gzip("gzip;q=0.5;level=9", 0);
  q_gzip("gzip;;q=0.5", 0);
  q_gzip("gzip q=0.5", 0);
  q_gzip("gzip;x=0.5", 0);
  q_gzip("gzip;qq=0.5", 0);
}

void test_star() {
  qs({"*"}, 1000, 1000, 1000);
  qs({"*;q=0.5"}, 500, 500, 500);
  qs({"*;q=0"}, 0, 0, 0);
  qs({"br;q=0, *"}, 0, 1000, 1000);
  qs({"*, br;q=0"}, 0, 1000, 1000);  // named wins over "*" whatever the order
  qs({"gzip;q=0.2, *;q=0.8"}, 800, 200, 800);
  qs({"*;q=0.8, gzip;q=0.2"}, 800, 200, 800);
  qs({"*;q=0, gzip"}, 0, 1000, 0);
  qs({"gzip, *;q=0"}, 0, 1000, 0);
  qs({"identity, *;q=0"}, 0, 0, 0);
  qs({"*;q=0.3, *;q=0.6"}, 600, 600, 600);  // a repeated "*": its highest q
  qs({"*;q=0.6, *;q=0.3"}, 600, 600, 600);
  qs({"*;q=bad"}, 0, 0, 0);
  qs({"*;q=bad, *;q=0.1"}, 100, 100, 100);
  // Across fields: a coding named in one field keeps its q when "*" comes in another.
  qs({"br;q=0", "*"}, 0, 1000, 1000);
  qs({"*", "br;q=0"}, 0, 1000, 1000);
  qs({"*;q=0.5", "gzip"}, 500, 1000, 500);
  qs({"gzip", "*;q=0.5"}, 500, 1000, 500);
  qs({"gzip;q=0", "", "*"}, 1000, 0, 1000);
  qs({"br", "gzip", "zstd;q=0.1"}, 1000, 1000, 100);
  qs({"br", "", "bogus;q="}, 1000, 0, 0);
}

void test_repeats() {
  // A coding named more than once: its highest q.
  qs({"gzip;q=0.5, gzip;q=1"}, 0, 1000, 0);
  qs({"gzip;q=1, gzip;q=0.5"}, 0, 1000, 0);
  qs({"gzip;q=0, gzip"}, 0, 1000, 0);
  qs({"gzip, gzip;q=0"}, 0, 1000, 0);
  qs({"gzip;q=0.3, x-gzip;q=0.4"}, 0, 400, 0);
  qs({"gzip;q=0.3", "GZIP;q=0.2"}, 0, 300, 0);
  qs({"br;q=0", "br;q=0"}, 0, 0, 0);
  qs({"br;q=0, br;q=bad"}, 0, 0, 0);
}

void test_suffix_and_token() {
  check(uvhttp::coding_suffix(ContentCoding::Br) == ".br", "br suffix");
  check(uvhttp::coding_suffix(ContentCoding::Gzip) == ".gz", "gzip suffix");
  check(uvhttp::coding_suffix(ContentCoding::Zstd) == ".zst", "zstd suffix");
  check(uvhttp::coding_token(ContentCoding::Br) == "br", "br token");
  check(uvhttp::coding_token(ContentCoding::Gzip) == "gzip", "gzip token");
  check(uvhttp::coding_token(ContentCoding::Zstd) == "zstd", "zstd token");
  check(static_cast<size_t>(ContentCoding::Zstd) + 1 == uvhttp::kContentCodings, "kContentCodings counts the enum");
}

const ContentCoding kBrGzip[] = {ContentCoding::Br, ContentCoding::Gzip};
const ContentCoding kGzipBr[] = {ContentCoding::Gzip, ContentCoding::Br};
const ContentCoding kAll[] = {ContentCoding::Br, ContentCoding::Gzip, ContentCoding::Zstd};
const ContentCoding kZstdFirst[] = {ContentCoding::Zstd, ContentCoding::Br, ContentCoding::Gzip};

void choose(const std::string &field, std::vector<bool> avail, const ContentCoding *order, size_t n, int want) {
  AcceptEncoding ae = read({field});
  bool available[uvhttp::kContentCodings] = {avail[0], avail[1], avail[2]};
  int got = uvhttp::choose_coding(ae, available, order, n);
  check(got == want, "choose [" + field + "] available " + std::to_string(avail[0]) + std::to_string(avail[1]) +
                         std::to_string(avail[2]) + " order of " + std::to_string(n) + ": want " +
                         std::to_string(want) + ", got " + std::to_string(got));
}

void test_choose() {
  const int br = 0, gzip = 1, zstd = 2, identity = -1;
  choose("gzip, br", {true, true, false}, kBrGzip, 2, br);     // tie: the order of the options
  choose("gzip, br", {true, true, false}, kGzipBr, 2, gzip);
  choose("br;q=0.9, gzip", {true, true, false}, kBrGzip, 2, gzip);  // higher q wins over order
  choose("br, gzip;q=0.9", {true, true, false}, kGzipBr, 2, br);
  choose("gzip, br", {false, true, false}, kBrGzip, 2, gzip);  // br has no sibling file
  choose("gzip, br", {false, false, false}, kBrGzip, 2, identity);
  choose("br;q=0, *", {true, true, true}, kAll, 3, gzip);
  choose("br;q=0, *", {true, false, true}, kAll, 3, zstd);
  choose("br;q=0, *", {true, false, false}, kAll, 3, identity);
  choose("", {true, true, true}, kAll, 3, identity);
  choose("identity", {true, true, true}, kAll, 3, identity);
  choose("*;q=0", {true, true, true}, kAll, 3, identity);
  choose("zstd", {true, true, true}, kBrGzip, 2, identity);  // zstd not enabled
  choose("zstd, br", {true, true, true}, kZstdFirst, 3, zstd);
  choose("*", {true, true, true}, kZstdFirst, 3, zstd);
  choose("*", {true, true, true}, kAll, 3, br);
  choose("gzip;q=0.001", {true, true, true}, kAll, 3, gzip);
  choose("gzip;q=0.001, br;q=0.002", {true, true, true}, kAll, 3, br);
  choose("gzip", {true, true, true}, kAll, 0, identity);  // no codings enabled
  // identity with a higher q than every available coding wins; a tie keeps the coding.
  choose("gzip;q=0.5, identity", {true, true, true}, kAll, 3, identity);
  choose("br;q=0.5, gzip;q=0.8, IDENTITY;q=0.7", {true, true, true}, kAll, 3, gzip);
  choose("br;q=0.5, gzip;q=0.4, identity;q=0.7", {true, true, true}, kAll, 3, identity);
  choose("gzip, identity", {true, true, true}, kAll, 3, gzip);
  choose("gzip;q=0.5, identity;q=0", {true, true, true}, kAll, 3, gzip);
  choose("*, identity;q=0.5", {true, true, true}, kAll, 3, br);
  // A configured order may repeat a coding; the answer does not change.
  const ContentCoding repeated[] = {ContentCoding::Gzip, ContentCoding::Gzip, ContentCoding::Br};
  choose("br, gzip", {true, true, false}, repeated, 3, gzip);
  // Out-of-range enum values in the order are skipped rather than read past available[].
  const ContentCoding bogus[] = {static_cast<ContentCoding>(7), ContentCoding::Br};
  choose("*", {true, true, true}, bogus, 2, br);
}

}  // namespace

int main() {
  test_names();
  test_list_syntax();
  test_qvalues();
  test_star();
  test_repeats();
  test_suffix_and_token();
  test_choose();
  return check::summary("content_coding");
}
