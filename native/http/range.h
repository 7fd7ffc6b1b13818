// The Range request header (RFC 9110 14.1.1, 14.2) for byte ranges of a representation whose size is
// known. Stateless: the file handler asks once per GET and acts on the answer (200, 206, 416).
//
//   Range: bytes=0-499        first 500 bytes      bytes=500-   from byte 500 to the end
//   Range: bytes=-500         last 500 bytes       bytes=0-0,-1 first and last byte, in that order
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uvhttp {

// Inclusive, already clipped to the representation: first <= last < size.
struct ByteRange {
  uint64_t first;
  uint64_t last;
};

enum class RangeResult : uint8_t {
  Ignore,         // serve the whole representation (200)
  Satisfiable,    // serve out[0..*count) (206)
  Unsatisfiable,  // every range starts at or past the end (416)
};

// The most ranges the file handler answers; a longer list is ignored rather than served.
constexpr size_t kMaxRanges = 16;

// Parses one Range field value for a representation of `size` bytes.
//
// Ignore: a syntax error anywhere (including an int-range whose last-pos is below its first-pos, a
// number that does not fit in 64 bits, or whitespace inside a range-spec), a unit other than "bytes"
// (compared case-insensitively), more than max_ranges range-specs, or satisfiable ranges whose lengths
// add up to more than size (overlap abuse).
// Satisfiable: out[0..*count) holds the satisfiable ranges in the order asked; ranges that start at
// or past the end were dropped, a last-pos past the end is clipped, "-n" with n >= size is the whole.
// Unsatisfiable: no range is left, e.g. any range of an empty representation, "-0", or "bytes=9-"
// for 9 bytes.
// Syntax: optional SP/HTAB, the unit, "=" with no space around it, then a comma-separated list with
// optional SP/HTAB around each element and empty elements allowed (", ,"), at least one non-empty.
// max_ranges must not exceed the length of out; *count is 0 unless Satisfiable.
RangeResult parse_range(std::string_view value, uint64_t size, ByteRange *out, size_t max_ranges, size_t *count);

}  // namespace uvhttp
