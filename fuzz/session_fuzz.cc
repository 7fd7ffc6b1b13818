// libFuzzer target for the HTTP/1 session (native/http/session.cc), differential: the same bytes fed
// whole and fed as reads of fuzzer-chosen sizes must give the same requests, in the same order, and
// stop at the same point. ASan catches any read outside the buffers, including the session's own.
//
// Input: [sizes seed][limits seed][bytes...]; the sizes seed's low bit also chooses whether bodies are
// streamed (handed on as they arrive, within the same limit) or buffered. Only the kind of error is allowed to differ (a head over
// the size limit may be seen as 414 or 431 depending on where a read ended), and 100 Continue, which
// rightly depends on whether a body came with its head. The bytes end with an empty line: the parser
// may hold its verdict on an unfinished head until the head ends (parser.h), so an input that stops
// inside a head would otherwise be judged whole but not in pieces.
// Build and run with scripts/fuzz.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "session_harness.h"

namespace {

std::string normalized(std::string log) {
  std::string out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    if (line.rfind("ERR ", 0) == 0) {
      out += "ERR;\n";
    } else if (line != "100;") {
      out += line + "\n";
    }
    start = end + 1;
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  uvhttp::SessionLimits limits;
  limits.body_limit = 16 + (data[1] & 0x3f) * 8;
  limits.max_header_size = 128 + (data[1] >> 6) * 256;
  limits.max_target_length = 96;
  const std::string input = std::string(reinterpret_cast<const char *>(data) + 2, size - 2) + "\r\n\r\n";
  std::vector<size_t> sizes;
  for (unsigned seed = data[0], i = 0; i < 4; ++i, seed = seed * 37 + 11) sizes.push_back(1 + seed % 97);

  const bool stream = data[0] & 1;
  const uint64_t limit = limits.body_limit;
  const std::string whole = normalized(session_harness::run(input, {}, limits, stream, limit));
  const std::string split = normalized(session_harness::run(input, sizes, limits, stream, limit));
  const std::string bytewise = normalized(session_harness::run(input, {1}, limits, stream, limit));
  if (whole != split || whole != bytewise) {
    std::fprintf(stderr, "whole:\n%s\nsplit:\n%s\nbyte by byte:\n%s\n", whole.c_str(), split.c_str(), bytewise.c_str());
    std::abort();
  }
  return 0;
}
