// libFuzzer target for the PROXY protocol header (native/http/proxy_protocol.cc). Whatever the bytes,
// parsing must not crash or read past them (ASan), and the answer must not depend on how the bytes
// were split into reads: a header found Done with n bytes is Incomplete at every shorter cut and Done
// with the same n and source however much follows; Invalid stays Invalid with more input.
// Build and run with scripts/fuzz.sh.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "http/proxy_protocol.h"

using uvhttp::ProxyParse;
using uvhttp::ProxySource;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

ProxyParse parse(const uint8_t *data, size_t len, ProxySource *source, size_t *consumed) {
  // A copy of exactly len bytes, so ASan sees a read past the end.
  std::vector<char> copy(data, data + len);
  return uvhttp::parse_proxy_header(copy.data(), len, source, consumed);
}

bool same(const ProxySource &a, const ProxySource &b) {
  return a.family == b.family && a.port == b.port && std::memcmp(a.address, b.address, sizeof(a.address)) == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ProxySource source;
  size_t consumed = 0;
  const ProxyParse whole = parse(data, size, &source, &consumed);
  if (whole == ProxyParse::Done) {
    require(consumed > 0 && consumed <= size);
    std::string text;
    require(uvhttp::proxy_source_text(source, &text) == (source.family != ProxySource::Family::None));
  }
  // Cuts at a few positions: before a Done header's end it waits; an Invalid prefix stays Invalid.
  const size_t cuts[] = {0, 1, size / 3, size / 2, size > 0 ? size - 1 : 0, consumed > 0 ? consumed - 1 : 0};
  for (size_t cut : cuts) {
    if (cut > size) continue;
    ProxySource s;
    size_t n = 0;
    const ProxyParse r = parse(data, cut, &s, &n);
    if (whole == ProxyParse::Done && cut < consumed) require(r == ProxyParse::Incomplete);
    if (whole == ProxyParse::Done && cut >= consumed) require(r == ProxyParse::Done && n == consumed && same(s, source));
    if (r == ProxyParse::Invalid) require(whole == ProxyParse::Invalid);
    if (whole == ProxyParse::Incomplete) require(r == ProxyParse::Incomplete);
  }
  return 0;
}
