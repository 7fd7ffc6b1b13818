// Conditional request comparisons (see conditional.h).

#include "http/conditional.h"

#include "http/http_date.h"

namespace uvhttp {
namespace {

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// etagc = %x21 / %x23-7E / obs-text
inline bool is_etagc(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u != 0x7F);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

struct Tag {
  bool weak;
  std::string_view opaque;  // with its quotes
};

// entity-tag = [ %s"W/" ] DQUOTE *etagc DQUOTE, read from s[*i]. On success *i is past the closing
// quote.
bool read_tag(std::string_view s, size_t *i, Tag *tag) {
  size_t p = *i;
  tag->weak = s.size() - p >= 2 && s[p] == 'W' && s[p + 1] == '/';
  if (tag->weak) p += 2;
  if (p >= s.size() || s[p] != '"') return false;
  size_t start = p++;
  while (p < s.size() && is_etagc(s[p])) ++p;
  if (p >= s.size() || s[p] != '"') return false;
  tag->opaque = s.substr(start, p + 1 - start);
  *i = p + 1;
  return true;
}

// The whole of s as one entity-tag.
bool whole_tag(std::string_view s, Tag *tag) {
  size_t i = 0;
  return read_tag(s, &i, tag) && i == s.size();
}

enum class Compare : uint8_t { Weak, Strong };

// Whether the list in value holds a tag equal to etag under cmp; "*" alone matches.
bool list_matches(std::string_view value, std::string_view etag, Compare cmp) {
  value = trim(value);
  if (value == "*") return true;
  Tag mine;
  if (!whole_tag(etag, &mine)) return false;
  if (cmp == Compare::Strong && mine.weak) return false;
  size_t i = 0;
  const size_t n = value.size();
  while (i < n) {
    while (i < n && (is_ows(value[i]) || value[i] == ',')) ++i;
    if (i == n) break;
    Tag theirs;
    bool ok = read_tag(value, &i, &theirs);
    if (ok) {
      while (i < n && is_ows(value[i])) ++i;
      ok = i == n || value[i] == ',';
    }
    if (ok) {
      if (theirs.opaque == mine.opaque && (cmp == Compare::Weak || !theirs.weak)) return true;
    } else {
      // Malformed: skip it. Its bytes are not read as tags, so a comma inside it starts the next.
      while (i < n && value[i] != ',') ++i;
    }
  }
  return false;
}

}  // namespace

bool none_match(std::string_view field_value, std::string_view etag) {
  return list_matches(field_value, etag, Compare::Weak);
}

bool any_match_strong(std::string_view field_value, std::string_view etag) {
  return list_matches(field_value, etag, Compare::Strong);
}

bool if_range_matches(std::string_view value, std::string_view etag, bool has_last_modified, int64_t last_modified) {
  value = trim(value);
  // A date may start with 'W' too ("Wed, ..."), so only "W/" says weak tag.
  if (!value.empty() && (value[0] == '"' || (value.size() >= 2 && value[0] == 'W' && value[1] == '/'))) {
    Tag theirs, mine;
    if (!whole_tag(value, &theirs) || !whole_tag(etag, &mine)) return false;
    return !theirs.weak && !mine.weak && theirs.opaque == mine.opaque;
  }
  int64_t date;
  return has_last_modified && parse_http_date(value, &date) && date == last_modified;
}

}  // namespace uvhttp
