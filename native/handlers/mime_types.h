// File extension -> Content-Type value. The table comes from JavaScript (lib/mime.ts builds it from
// mime-db once per process), so no list of types is written by hand here.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace uvhttp {

class MimeTypes {
public:
  // packed: lines of "ext\tvalue\n", ext lower-case without the dot, value a full Content-Type value
  // (charset included where it applies). Replaces any previous table.
  void load(std::string_view packed);
  // The type for a file name by its last extension, case-insensitive; application/octet-stream
  // when there is none or it is unknown.
  std::string_view lookup(std::string_view name) const;
  bool empty() const { return types_.empty(); }

private:
  std::unordered_map<std::string, std::string> types_;
};

} // namespace uvhttp
