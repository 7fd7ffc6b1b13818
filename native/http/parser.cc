// Request-head parser and chunked decoder (see parser.h for the contract).
//
// The parser is a single forward pass that re-starts from the beginning of the buffer on every call:
// heads are small, so a re-scan is cheaper than carrying state, and a stateless parser cannot get
// out of step with the buffer. last_len keeps the re-scan from going quadratic when a head trickles in.

#include "http/parser.h"

#include <cstdint>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(UVHTTP_NO_SSE42)
#define UVHTTP_SSE42_DISPATCH 1
#include <nmmintrin.h>
#else
#define UVHTTP_SSE42_DISPATCH 0
#endif

namespace uvhttp {
namespace {

constexpr int kInvalid = -1;
constexpr int kIncomplete = -2;
constexpr int kStepOk = 0;

// RFC 9112 2.2 asks servers to tolerate an empty line before the request line (clients that end a
// POST body with an extra CRLF). A few are enough for that; more would let garbage cost us a scan.
constexpr int kMaxLeadingEmptyLines = 4;

// One table for every byte class the parser asks about, so each question is a single load.
enum ByteClass : uint8_t {
  kTchar = 1,       // token character (RFC 9110 5.6.2)
  kTargetChar = 2,  // allowed inside the request-target: visible ASCII only
  kValueChar = 4,   // allowed inside a field value: HTAB, SP, VCHAR, obs-text
  kHexDigit = 8,
  kQdText = 16,     // allowed inside a quoted-string without escaping (RFC 9110 5.6.4)
};

struct ByteTable {
  uint8_t bits[256];
};

constexpr ByteTable make_byte_table() {
  ByteTable t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t b = 0;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    bool tchar_punct = false;
    for (const char *s = "!#$%&'*+-.^_`|~"; *s != '\0'; ++s) {
      if (c == *s) tchar_punct = true;
    }
    if (alpha || digit || tchar_punct) b |= kTchar;
    if (c >= 0x21 && c <= 0x7e) b |= kTargetChar;
    if (c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80) b |= kValueChar;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) b |= kHexDigit;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) ||
        c >= 0x80) {
      b |= kQdText;
    }
    t.bits[c] = b;
  }
  return t;
}

constexpr ByteTable kBytes = make_byte_table();

inline bool is(char c, ByteClass cls) { return (kBytes.bits[static_cast<uint8_t>(c)] & cls) != 0; }
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }
inline bool is_ctl(char c) {
  auto u = static_cast<uint8_t>(c);
  return u < 0x20 || u == 0x7f;
}

// ---- Range scans -------------------------------------------------------------------------------
// The target and field values are the long parts of a head; for them we find the first byte that
// leaves the allowed set 16 bytes at a time. The SSE4.2 path is chosen at run time because the addon
// is built without -msse4.2 (it must load on any x86-64), and only ever loads whole 16-byte blocks that
// lie inside the buffer: the tail is always finished by the scalar loop.

#if UVHTTP_SSE42_DISPATCH

bool detect_sse42() {
  __builtin_cpu_init();  // we may run during static initialisation, before the runtime's own call
  return __builtin_cpu_supports("sse4.2") != 0;
}

// Zero-initialised (scalar path) until dynamic initialisation runs, so a parse from another static
// initialiser is still correct, just slower.
const bool g_use_sse42 = detect_sse42();

// Stop sets as inclusive byte ranges for PCMPESTRI: the bytes the scan must stop at.
alignas(16) const char kTargetStops[16] = {'\x00', '\x20', '\x7f', '\xff'};
constexpr int kTargetStopsLen = 4;
alignas(16) const char kValueStops[16] = {'\x00', '\x08', '\x0a', '\x1f', '\x7f', '\x7f'};
constexpr int kValueStopsLen = 6;

// Returns the first byte in [p, end) that falls in one of the ranges, or the start of the final
// partial block (fewer than 16 bytes before end), which the caller scans byte by byte.
__attribute__((target("sse4.2"))) const char *skip_blocks_sse42(const char *p, const char *end,
                                                                  const char *stops, int stops_len) {
  const __m128i ranges = _mm_load_si128(reinterpret_cast<const __m128i *>(stops));
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    int idx = _mm_cmpestri(ranges, stops_len, block, 16,
                           _SIDD_UBYTE_OPS | _SIDD_CMP_RANGES | _SIDD_LEAST_SIGNIFICANT);
    if (idx != 16) return p + idx;
    p += 16;
  }
  return p;
}

#endif

// Returns the first byte in [p, end) that may not appear in a request-target, or end.
const char *scan_target(const char *p, const char *end) {
#if UVHTTP_SSE42_DISPATCH
  if (g_use_sse42) p = skip_blocks_sse42(p, end, kTargetStops, kTargetStopsLen);
#endif
  while (p != end && is(*p, kTargetChar)) ++p;
  return p;
}

// Returns the first byte in [p, end) that may not appear in a field value (CR included), or end.
const char *scan_value(const char *p, const char *end) {
#if UVHTTP_SSE42_DISPATCH
  if (g_use_sse42) p = skip_blocks_sse42(p, end, kValueStops, kValueStopsLen);
#endif
  while (p != end && is(*p, kValueChar)) ++p;
  return p;
}

// ---- Request head ------------------------------------------------------------------------------

// True when the bytes added since the last -2 could end the head, or could make it invalid in a
// way only a full parse reports precisely (a bare LF). Otherwise the verdict is still -2.
bool new_bytes_may_end_head(const char *buf, size_t len, size_t last_len) {
  const char *p = buf + last_len;
  const char *end = buf + len;
  while (p != end) {
    const char *lf = static_cast<const char *>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (lf == nullptr) return false;
    size_t i = static_cast<size_t>(lf - buf);
    if (i == 0 || buf[i - 1] != '\r') return true;
    if (i >= 3 && buf[i - 3] == '\r' && buf[i - 2] == '\n') return true;
    p = lf + 1;
  }
  return false;
}

class HeadParser {
 public:
  HeadParser(const char *buf, size_t len, RequestHead *out)
      : buf_(buf), p_(buf), end_(buf + len), out_(out) {}

  int run() {
    if (int r = skip_leading_empty_lines(); r != kStepOk) return r;
    if (int r = parse_request_line(); r != kStepOk) return r;
    return parse_fields();
  }

 private:
  int fail(ParseError e) {
    out_->error = e;
    return kInvalid;
  }

  // Where a byte ends a token early, a lone LF is reported as such (a client using LF line ends is
  // the likely cause), everything else as the caller's error.
  int fail_at(char c, ParseError otherwise) { return fail(c == '\n' ? ParseError::BareLF : otherwise); }

  int skip_leading_empty_lines() {
    for (int i = 0; i < kMaxLeadingEmptyLines; ++i) {
      if (p_ == end_) return kIncomplete;
      if (*p_ != '\r') return kStepOk;
      if (p_ + 1 == end_) return kIncomplete;
      if (p_[1] != '\n') return fail(ParseError::BadRequestLine);
      p_ += 2;
    }
    return kStepOk;  // a further empty line is rejected by the method scan
  }

  int parse_request_line() {
    const char *method = p_;
    while (p_ != end_ && is(*p_, kTchar)) ++p_;
    if (p_ == end_) return kIncomplete;
    if (*p_ != ' ' || p_ == method) return fail_at(*p_, ParseError::BadRequestLine);
    out_->method = method;
    out_->method_len = static_cast<size_t>(p_ - method);
    ++p_;

    const char *target = p_;
    p_ = scan_target(p_, end_);
    if (p_ == end_) return kIncomplete;
    if (*p_ != ' ' || p_ == target) return fail_at(*p_, ParseError::BadRequestLine);
    out_->target = target;
    out_->target_len = static_cast<size_t>(p_ - target);
    ++p_;

    return parse_version();
  }

  // The error for a byte that does not fit "HTTP/d.d" at offset i of the version.
  int fail_version(char c, int i) {
    if (c == '\n') return fail(ParseError::BareLF);
    if (c == '\r') return fail(ParseError::BadVersion);  // the line ended inside the version
    if (i == 0 && c == ' ') return fail(ParseError::BadRequestLine);  // a second SP
    if (is_ctl(c)) return fail(ParseError::BadRequestLine);
    return fail(ParseError::BadVersion);
  }

  int parse_version() {
    static constexpr char kShape[] = "HTTP/0.0";  // '0' stands for any digit
    int digits[2] = {0, 0};
    int d = 0;
    for (int i = 0; i < 8; ++i, ++p_) {
      if (p_ == end_) return kIncomplete;
      char c = *p_;
      if (kShape[i] == '0') {
        if (c < '0' || c > '9') return fail_version(c, i);
        digits[d++] = c - '0';
      } else if (c != kShape[i]) {
        return fail_version(c, i);
      }
    }
    if (p_ == end_) return kIncomplete;
    if (*p_ != '\r') return fail_version(*p_, 8);
    if (p_ + 1 == end_) return kIncomplete;
    if (p_[1] != '\n') return fail(ParseError::BadRequestLine);
    p_ += 2;
    // Only judged once the line is complete, so "HTTP/2.0x" stays a syntax error rather than a 505.
    if (digits[0] != 1 || digits[1] > 1) return fail(ParseError::VersionNotSupported);
    out_->minor_version = digits[1];
    return kStepOk;
  }

  int parse_fields() {
    size_t capacity = out_->num_headers;
    size_t n = 0;
    for (;;) {
      if (p_ == end_) return kIncomplete;
      char c = *p_;
      if (c == '\r') {
        if (p_ + 1 == end_) return kIncomplete;
        if (p_[1] != '\n') return fail(ParseError::BadHeaderName);
        p_ += 2;
        out_->num_headers = n;
        return static_cast<int>(p_ - buf_);
      }
      if (c == '\n') return fail(ParseError::BareLF);
      if (is_ows(c)) return fail(ParseError::ObsFold);
      if (n == capacity) return fail(ParseError::TooManyHeaders);

      const char *name = p_;
      while (p_ != end_ && is(*p_, kTchar)) ++p_;
      if (p_ == end_) return kIncomplete;
      if (*p_ != ':' || p_ == name) return fail_at(*p_, ParseError::BadHeaderName);
      const char *name_end = p_;
      ++p_;

      while (p_ != end_ && is_ows(*p_)) ++p_;
      const char *value = p_;
      p_ = scan_value(p_, end_);
      if (p_ == end_) return kIncomplete;
      if (*p_ != '\r') return fail_at(*p_, ParseError::BadHeaderValue);
      if (p_ + 1 == end_) return kIncomplete;
      if (p_[1] != '\n') return fail(ParseError::BadHeaderValue);
      const char *value_end = p_;
      while (value_end != value && is_ows(value_end[-1])) --value_end;
      p_ += 2;

      HeaderField &h = out_->headers[n++];
      h.name = name;
      h.name_len = static_cast<size_t>(name_end - name);
      h.value = value;
      h.value_len = static_cast<size_t>(value_end - value);
    }
  }

  const char *const buf_;
  const char *p_;
  const char *const end_;
  RequestHead *const out_;
};

// ---- Chunked decoder ---------------------------------------------------------------------------

// One state per grammar position of RFC 9112 7.1, so the decoder can stop after any byte.
enum ChunkState : uint8_t {
  kSizeStart = 0,   // expecting the first hex digit (zero-initialised decoders start here)
  kSize,            // in the hex digits
  kSizeBws,         // whitespace after the size, which only a ';' may follow
  kExtNameStart,    // after ';' (BWS allowed)
  kExtName,
  kExtNameBws,      // whitespace after a name: '=' or ';' must follow
  kExtValueStart,   // after '=' (BWS allowed)
  kExtToken,
  kExtQuoted,
  kExtQuotedPair,   // after a backslash inside the quoted-string
  kExtValueEnd,     // right after a closing quote
  kExtValueBws,     // whitespace after a value: only ';' may follow
  kSizeLineLf,      // CR seen at the end of the size line
  kData,
  kDataCr,
  kDataLf,
  kTrailerStart,    // at the start of a trailer line (or of the final CRLF)
  kTrailerName,
  kTrailerValue,
  kTrailerLf,
  kFinalLf,
  kDone,
  kFailed,
};

constexpr int hex_value(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

// RFC 9112 7.1: a chunk-size of more than 16 hex digits cannot be a 64-bit length.
constexpr uint8_t kMaxHexDigits = 16;

// Advances the decoder by one non-data byte. Returns false when the byte is not allowed here.
bool step(ChunkedDecoder *d, char c) {
  switch (static_cast<ChunkState>(d->state)) {
    case kSizeStart:
      if (!is(c, kHexDigit)) return false;
      d->bytes_left_in_chunk = static_cast<size_t>(hex_value(c));
      d->hex_count = 1;
      d->state = kSize;
      return true;
    case kSize:
      if (is(c, kHexDigit)) {
        if (d->hex_count == kMaxHexDigits || d->bytes_left_in_chunk > (SIZE_MAX >> 4)) return false;
        ++d->hex_count;
        d->bytes_left_in_chunk = (d->bytes_left_in_chunk << 4) | static_cast<size_t>(hex_value(c));
      } else if (c == ';') {
        d->state = kExtNameStart;
      } else if (is_ows(c)) {
        d->state = kSizeBws;
      } else if (c == '\r') {
        d->state = kSizeLineLf;
      } else {
        return false;
      }
      return true;
    case kSizeBws:
      if (c == ';') {
        d->state = kExtNameStart;
        return true;
      }
      return is_ows(c);
    case kExtNameStart:
      if (is(c, kTchar)) {
        d->state = kExtName;
        return true;
      }
      return is_ows(c);
    case kExtName:
      if (is(c, kTchar)) return true;
      if (c == '=') d->state = kExtValueStart;
      else if (c == ';') d->state = kExtNameStart;
      else if (is_ows(c)) d->state = kExtNameBws;
      else if (c == '\r') d->state = kSizeLineLf;
      else return false;
      return true;
    case kExtNameBws:
      if (c == '=') d->state = kExtValueStart;
      else if (c == ';') d->state = kExtNameStart;
      else return is_ows(c);
      return true;
    case kExtValueStart:
      if (is(c, kTchar)) d->state = kExtToken;
      else if (c == '"') d->state = kExtQuoted;
      else return is_ows(c);
      return true;
    case kExtToken:
      if (is(c, kTchar)) return true;
      if (c == ';') d->state = kExtNameStart;
      else if (is_ows(c)) d->state = kExtValueBws;
      else if (c == '\r') d->state = kSizeLineLf;
      else return false;
      return true;
    case kExtQuoted:
      if (c == '"') d->state = kExtValueEnd;
      else if (c == '\\') d->state = kExtQuotedPair;
      else return is(c, kQdText);
      return true;
    case kExtQuotedPair:
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): the field-value byte set minus nothing.
      if (!is(c, kValueChar)) return false;
      d->state = kExtQuoted;
      return true;
    case kExtValueEnd:
      if (c == ';') d->state = kExtNameStart;
      else if (is_ows(c)) d->state = kExtValueBws;
      else if (c == '\r') d->state = kSizeLineLf;
      else return false;
      return true;
    case kExtValueBws:
      if (c == ';') {
        d->state = kExtNameStart;
        return true;
      }
      return is_ows(c);
    case kSizeLineLf:
      if (c != '\n') return false;
      d->state = d->bytes_left_in_chunk == 0 ? kTrailerStart : kData;
      return true;
    case kDataCr:
      if (c != '\r') return false;
      d->state = kDataLf;
      return true;
    case kDataLf:
      if (c != '\n') return false;
      d->state = kSizeStart;
      return true;
    case kTrailerStart:
      if (c == '\r') d->state = kFinalLf;
      else if (is(c, kTchar)) d->state = kTrailerName;
      else return false;  // includes obs-fold and a bare LF
      return true;
    case kTrailerName:
      if (is(c, kTchar)) return true;
      if (c != ':') return false;
      d->state = kTrailerValue;
      return true;
    case kTrailerValue:
      if (is(c, kValueChar)) return true;
      if (c != '\r') return false;
      d->state = kTrailerLf;
      return true;
    case kTrailerLf:
      if (c != '\n') return false;
      d->state = kTrailerStart;
      return true;
    case kFinalLf:
      if (c != '\n') return false;
      d->state = kDone;
      return true;
    case kData:
    case kDone:
    case kFailed:
      break;
  }
  return false;
}

}  // namespace

int parse_request(const char *buf, size_t len, RequestHead *out, size_t last_len) {
  out->error = ParseError::None;
  if (last_len != 0 && last_len <= len && !new_bytes_may_end_head(buf, len, last_len)) {
    return kIncomplete;
  }
  size_t capacity = out->num_headers;
  int r = HeadParser(buf, len, out).run();
  // Leave the capacity in place unless we succeed, so the caller can pass the same struct again.
  if (r < 0) out->num_headers = capacity;
  return r;
}

ssize_t decode_chunked(ChunkedDecoder *decoder, char *buf, size_t *len) {
  const size_t n = *len;
  size_t src = 0;
  size_t dst = 0;
  if (decoder->state == kDone) {
    // Already complete: everything given is the next message.
    *len = 0;
    return static_cast<ssize_t>(n);
  }
  while (src < n) {
    if (decoder->state == kData) {
      size_t take = n - src;
      if (take > decoder->bytes_left_in_chunk) take = decoder->bytes_left_in_chunk;
      if (dst != src) std::memmove(buf + dst, buf + src, take);
      dst += take;
      src += take;
      decoder->bytes_left_in_chunk -= take;
      decoder->total += take;
      if (decoder->bytes_left_in_chunk == 0) decoder->state = kDataCr;
      continue;
    }
    if (!step(decoder, buf[src++])) {
      decoder->state = kFailed;
      *len = dst;
      return -1;
    }
    if (decoder->state == kDone) {
      size_t rest = n - src;
      if (rest != 0 && dst != src) std::memmove(buf + dst, buf + src, rest);
      *len = dst;
      return static_cast<ssize_t>(rest);
    }
  }
  *len = dst;
  return decoder->state == kFailed ? -1 : kIncomplete;
}

}  // namespace uvhttp
