// Accept-Encoding negotiation (see content_coding.h).

#include "http/content_coding.h"

#include "http/field_name.h"

namespace uvhttp {
namespace {

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr int kIdentity = -3;
constexpr int kStar = -2;
constexpr int kOther = -1;

int coding_of(std::string_view token) {
  if (token == "*") return kStar;
  if (token_is(token, "identity")) return kIdentity;
  if (token_is(token, "br")) return static_cast<int>(ContentCoding::Br);
  if (token_is(token, "gzip") || token_is(token, "x-gzip")) return static_cast<int>(ContentCoding::Gzip);
  if (token_is(token, "zstd")) return static_cast<int>(ContentCoding::Zstd);
  return kOther;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths.
bool qvalue(std::string_view s, uint16_t *out) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return false;
  if (s.size() > 1 && (s[1] != '.' || s.size() > 5)) return false;
  unsigned v = 0;
  for (size_t i = 2; i < 5; ++i) {
    unsigned d = 0;
    if (i < s.size()) {
      if (!is_digit(s[i])) return false;
      d = static_cast<unsigned>(s[i] - '0');
    }
    v = v * 10 + d;
  }
  if (s[0] == '1' && v != 0) return false;
  *out = static_cast<uint16_t>(s[0] == '1' ? 1000 : v);
  return true;
}

// One list element, trimmed. False when it is malformed.
bool element(std::string_view e, int *coding, uint16_t *q) {
  size_t i = 0;
  while (i < e.size() && is_tchar(e[i])) ++i;
  if (i == 0) return false;
  *coding = coding_of(e.substr(0, i));
  *q = 1000;
  while (i < e.size() && is_ows(e[i])) ++i;
  if (i == e.size()) return true;
  if (e[i] != ';') return false;
  ++i;
  while (i < e.size() && is_ows(e[i])) ++i;
  if (e.size() - i < 2 || (e[i] != 'q' && e[i] != 'Q') || e[i + 1] != '=') return false;
  return qvalue(e.substr(i + 2), q);
}

void apply(AcceptEncoding *ae, int coding, uint16_t q) {
  if (coding == kStar) {
    ae->star_q = ae->star_seen && ae->star_q > q ? ae->star_q : q;
    ae->star_seen = true;
    for (size_t c = 0; c < kContentCodings; ++c)
      if (!(ae->named & (1u << c))) ae->q[c] = ae->star_q;
    return;
  }
  if (coding == kIdentity) {
    ae->identity_q = ae->identity_named && ae->identity_q > q ? ae->identity_q : q;
    ae->identity_named = true;
    return;
  }
  if (coding < 0) return;
  uint8_t bit = static_cast<uint8_t>(1u << coding);
  // Named more than once: the highest q, as the npm negotiator (and so express) reads it.
  if (!(ae->named & bit) || q > ae->q[coding]) ae->q[coding] = q;
  ae->named = static_cast<uint8_t>(ae->named | bit);
}

}  // namespace

std::string_view coding_suffix(ContentCoding c) {
  switch (c) {
    case ContentCoding::Br: return ".br";
    case ContentCoding::Gzip: return ".gz";
    case ContentCoding::Zstd: return ".zst";
  }
  return "";
}

std::string_view coding_token(ContentCoding c) {
  switch (c) {
    case ContentCoding::Br: return "br";
    case ContentCoding::Gzip: return "gzip";
    case ContentCoding::Zstd: return "zstd";
  }
  return "";
}

void init_accept_encoding(AcceptEncoding *ae) { *ae = AcceptEncoding{}; }

void add_accept_encoding(AcceptEncoding *ae, std::string_view value) {
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    size_t end = comma == std::string_view::npos ? value.size() : comma;
    size_t a = pos, b = end;
    while (a < b && is_ows(value[a])) ++a;
    while (b > a && is_ows(value[b - 1])) --b;
    int coding;
    uint16_t q;
    if (a < b && element(value.substr(a, b - a), &coding, &q)) apply(ae, coding, q);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
}

int choose_coding(const AcceptEncoding &ae, const bool available[kContentCodings], const ContentCoding *order,
                  size_t n) {
  int best = -1;
  uint16_t best_q = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t c = static_cast<size_t>(order[i]);
    if (c >= kContentCodings || !available[c]) continue;
    if (ae.q[c] > best_q) {  // strictly: a tie keeps the earlier one
      best = static_cast<int>(c);
      best_q = ae.q[c];
    }
  }
  // "gzip;q=0.5, identity" prefers the file as it is (a tie keeps the coding: the server's choice).
  if (best >= 0 && ae.identity_named && ae.identity_q > best_q) return -1;
  return best;
}

}  // namespace uvhttp
