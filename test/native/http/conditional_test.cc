// Unit tests for the conditional request comparisons (native/http/conditional.h): weak and strong
// entity-tag comparison, lists with commas inside tags, malformed elements, "*", and If-Range's two
// forms. Inputs end right before a guarded page, so a read past them faults.

#include <cstdint>
#include <string>
#include <string_view>

#include "check.h"
#include "guarded_page.h"
#include "http/conditional.h"

namespace {

bool check(bool ok, const std::string &what) { return check::that(ok, what); }

// Two guarded buffers: the field value and the etag each end at their own guard page.
GuardedBuffer &guard_value() {
  static GuardedBuffer g(1 << 16);
  return g;
}
GuardedBuffer &guard_etag() {
  static GuardedBuffer g(4096);
  return g;
}

std::string_view placed(GuardedBuffer &g, const std::string &s) { return std::string_view(g.place(s), s.size()); }

bool none(const std::string &value, const std::string &etag) {
  return uvhttp::none_match(placed(guard_value(), value), placed(guard_etag(), etag));
}
bool strong(const std::string &value, const std::string &etag) {
  return uvhttp::any_match_strong(placed(guard_value(), value), placed(guard_etag(), etag));
}
bool if_range(const std::string &value, const std::string &etag, bool has_lm = false, int64_t lm = 0) {
  return uvhttp::if_range_matches(placed(guard_value(), value), placed(guard_etag(), etag), has_lm, lm);
}

const std::string kTag = "\"1a-5f\"";
const std::string kWeakTag = "W/\"1a-5f\"";

// Expected results for the same value under both list comparisons.
void lists(const std::string &value, const std::string &etag, bool want_weak, bool want_strong) {
  check(none(value, etag) == want_weak, "none_match(" + value + ", " + etag + ") == " + (want_weak ? "true" : "false"));
  check(strong(value, etag) == want_strong,
        "any_match_strong(" + value + ", " + etag + ") == " + (want_strong ? "true" : "false"));
}

void test_star() {
  lists("*", kTag, true, true);
  lists(" * ", kTag, true, true);
  lists("\t*\t", kTag, true, true);
  lists("*", kWeakTag, true, true);
  lists("*", "", true, true);  // "*": any current representation, whatever its tag
  lists("**", kTag, false, false);
  lists("*,*", kTag, false, false);
  lists("*, \"1a-5f\"", kTag, true, true);  // "*" in a list is malformed; the tag after it still counts
  lists("\"x\", *", kTag, false, false);
  lists("\"*\"", kTag, false, false);
  lists("\"*\"", "\"*\"", true, true);
}

void test_single_tags() {
  lists(kTag, kTag, true, true);
  lists(kWeakTag, kTag, true, false);
  lists(kTag, kWeakTag, true, false);
  lists(kWeakTag, kWeakTag, true, false);  // weak tags are never strongly equal, even to themselves
  lists("\"1a-5e\"", kTag, false, false);
  lists("\"1A-5F\"", kTag, false, false);  // opaque-tags are case-sensitive
  lists("\"1a-5f \"", kTag, false, false);
  lists("\"1a-5f\"", "\"1a-5f\"", true, true);
  lists("1a-5f", kTag, false, false);       // no quotes
  lists("'1a-5f'", kTag, false, false);
  lists("w/\"1a-5f\"", kTag, false, false); // %s"W/": lower-case w is malformed
  lists("W\"1a-5f\"", kTag, false, false);
  lists("W/ \"1a-5f\"", kTag, false, false);
  lists("/\"1a-5f\"", kTag, false, false);
  lists("W/W/\"1a-5f\"", kTag, false, false);
  lists("\"1a-5f", kTag, false, false);
  lists("1a-5f\"", kTag, false, false);
  lists("\"1a-5f\"x", kTag, false, false);
  lists("\"1a-5f\"\"\"", kTag, false, false);
  lists("x\"1a-5f\"", kTag, false, false);
  lists("\"\"", "\"\"", true, true);  // the empty opaque-tag is valid
  lists("\"\"", kTag, false, false);
  lists("", kTag, false, false);
  lists(" ", kTag, false, false);
  lists(",", kTag, false, false);
}

void test_lists() {
  lists("\"a\", \"1a-5f\"", kTag, true, true);
  lists("\"a\",\"1a-5f\"", kTag, true, true);
  lists("\"1a-5f\",\"a\"", kTag, true, true);
  lists("\"a\" , \"1a-5f\" , \"b\"", kTag, true, true);
  lists("\"a\"\t,\t\"1a-5f\"", kTag, true, true);
  lists(",,\"1a-5f\",,", kTag, true, true);
  lists(", ,\"1a-5f\"", kTag, true, true);
  lists("\"a\", W/\"1a-5f\"", kTag, true, false);
  lists("W/\"1a-5f\", \"1a-5f\"", kTag, true, true);
  lists("W/\"a\", W/\"b\"", kTag, false, false);
  lists("\"a\", \"b\", \"c\"", kTag, false, false);
  lists("\"a\" \"1a-5f\"", kTag, false, false);  // no comma: one malformed element
  lists("\"a\";\"1a-5f\"", kTag, false, false);
  // Commas inside an opaque-tag do not split it.
  lists("\"a,\"1a-5f\"\"", kTag, false, false);
  lists("\"x,1a-5f\"", "\"x,1a-5f\"", true, true);
  lists("\"a\", \"x,1a-5f\"", "\"x,1a-5f\"", true, true);
  lists("\"x,1a-5f\"", kTag, false, false);
  lists("\",\", \"1a-5f\"", kTag, true, true);
  lists("\",\"", "\",\"", true, true);
  // A malformed element is skipped to the next comma; later tags still count.
  lists("garbage, \"1a-5f\"", kTag, true, true);
  lists("\"a\"garbage, \"1a-5f\"", kTag, true, true);
  lists("\"unterminated, \"1a-5f\"", kTag, true, true);
  lists("W/, \"1a-5f\"", kTag, true, true);
  lists("\"a b\", \"1a-5f\"", kTag, true, true);
  lists("\"a\x01\", \"1a-5f\"", kTag, true, true);
  lists("garbage \"1a-5f\"", kTag, false, false);
  lists("\"1a-5f\" garbage", kTag, false, false);
  lists("\"1a-5f\"garbage, \"b\"", kTag, false, false);
  // A long list: the match is found at the end.
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "\"tag" + std::to_string(i) + "\", ";
  lists(many, kTag, false, false);
  lists(many + kTag, kTag, true, true);
  lists(many + kWeakTag, kTag, true, false);
  lists(std::string(60000, ','), kTag, false, false);
  lists(std::string(60000, '"'), kTag, false, false);
  lists(std::string(60000, 'W'), kTag, false, false);
}

void test_etag_characters() {
  // etagc: %x21 / %x23-7E / obs-text. DQUOTE ends the tag; SP, controls and DEL are not allowed.
  lists("\"!#~\"", "\"!#~\"", true, true);
  lists("\"\x80\xff\"", "\"\x80\xff\"", true, true);
  lists("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", true, true);
  lists("\"a b\"", "\"a b\"", false, false);  // etag itself malformed: nothing matches but "*"
  lists("\"a\x7f\"", "\"a\x7f\"", false, false);
  lists("\"a\tb\"", "\"a\tb\"", false, false);
  lists(std::string("\"a\0b\"", 5), std::string("\"a\0b\"", 5), false, false);
  lists("\"a\\\"", "\"a\\\"", true, true);  // a backslash is an ordinary etagc; no escapes
  // A malformed etag argument never matches, even against the same bytes.
  lists("1a-5f", "1a-5f", false, false);
  lists("", "", false, false);
  lists("\"a\"", "\"a\"x", false, false);
  lists("\"a\"", " \"a\"", false, false);
}

void test_if_range_tags() {
  check(if_range(kTag, kTag), "If-Range: equal strong tag");
  check(if_range(" " + kTag + " ", kTag), "If-Range: OWS around the tag");
  check(!if_range(kWeakTag, kTag), "If-Range: weak tag never matches");
  check(!if_range(kTag, kWeakTag), "If-Range: against a weak current tag never matches");
  check(!if_range(kWeakTag, kWeakTag), "If-Range: weak to weak never matches");
  check(!if_range("\"1a-5e\"", kTag), "If-Range: other tag");
  check(!if_range("\"1a-5f\", \"1a-5f\"", kTag), "If-Range: a list is not an entity-tag");
  check(!if_range("\"1a-5f\"x", kTag), "If-Range: garbage after the tag");
  check(!if_range("\"1a-5f", kTag), "If-Range: unterminated");
  check(!if_range("*", kTag), "If-Range: * is not allowed");
  check(!if_range("", kTag), "If-Range: empty");
  check(!if_range(kTag, ""), "If-Range: no current tag");
  check(if_range(kTag, kTag, true, 784111777), "If-Range: tag matches whatever the date");
  check(!if_range("W/", kTag), "If-Range: W/ alone");
}

void test_if_range_dates() {
  const int64_t lm = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  check(if_range("Sun, 06 Nov 1994 08:49:37 GMT", kTag, true, lm), "If-Range: equal IMF-fixdate");
  check(if_range("Sunday, 06-Nov-94 08:49:37 GMT", kTag, true, lm), "If-Range: equal rfc850 date");
  check(if_range("Sun Nov  6 08:49:37 1994", kTag, true, lm), "If-Range: equal asctime date");
  check(if_range(" Sun, 06 Nov 1994 08:49:37 GMT\t", kTag, true, lm), "If-Range: date with OWS");
  check(!if_range("Sun, 06 Nov 1994 08:49:38 GMT", kTag, true, lm), "If-Range: a later date is not equal");
  check(!if_range("Sun, 06 Nov 1994 08:49:36 GMT", kTag, true, lm), "If-Range: an earlier date is not equal");
  check(!if_range("Sun, 06 Nov 1994 08:49:37 GMT", kTag, false, lm), "If-Range: no Last-Modified: dates never match");
  check(!if_range("Sun, 06 Nov 1994 08:49:37 GMT", kTag, false, 0), "If-Range: no Last-Modified, 0");
  check(!if_range("Sun, 06 Nov 1994 08:49:37 gmt", kTag, true, lm), "If-Range: invalid date");
  check(!if_range("Sun, 29 Feb 1994 08:49:37 GMT", kTag, true, lm), "If-Range: impossible date");
  check(!if_range("784111777", kTag, true, lm), "If-Range: seconds are not a date");
  // Dates starting with 'W' are dates, not weak tags.
  const int64_t wed = 784370977;  // Wed, 09 Nov 1994 08:49:37 GMT
  check(if_range("Wed, 09 Nov 1994 08:49:37 GMT", kTag, true, wed), "If-Range: date starting with W");
  check(if_range("Wednesday, 09-Nov-94 08:49:37 GMT", kTag, true, wed), "If-Range: rfc850 starting with W");
  check(if_range("Wed Nov  9 08:49:37 1994", kTag, true, wed), "If-Range: asctime starting with W");
  check(!if_range("W/\"x\"", kTag, true, wed), "If-Range: weak tag with a date known");
  // A date never matches a tag value and the other way round.
  check(!if_range("Sun, 06 Nov 1994 08:49:37 GMT", "\"Sun, 06 Nov 1994 08:49:37 GMT\"", false, 0),
        "If-Range: date against a tag holding the same text");
  check(!if_range("\"Sun, 06 Nov 1994 08:49:37 GMT\"", kTag, true, lm), "If-Range: a quoted date is a tag");
}

// Every byte of a matching list changed to every other byte: the results must stay consistent
// (a weak match whenever a strong one) and no read may pass the end.
void test_mutations() {
  const std::string base = "\"a\", W/\"1a-5f\" , \"1a-5f\"";
  for (size_t i = 0; i < base.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      std::string v = base;
      v[i] = static_cast<char>(b);
      bool w = none(v, kTag), s = strong(v, kTag);
      if (s && !w) check(false, "strong match without weak match: " + v);
    }
    std::string cut = base.substr(0, i);
    if (strong(cut, kTag) && !none(cut, kTag)) check(false, "prefix: strong without weak");
  }
  check(true, "mutations consistent");
}

}  // namespace

int main() {
  test_star();
  test_single_tags();
  test_lists();
  test_etag_characters();
  test_if_range_tags();
  test_if_range_dates();
  test_mutations();
  return check::summary("conditional");
}
