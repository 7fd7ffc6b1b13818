#include "handlers/mime_types.h"

namespace uvhttp {

void MimeTypes::load(std::string_view packed) {
  types_.clear();
  size_t pos = 0;
  while (pos < packed.size()) {
    size_t end = packed.find('\n', pos);
    if (end == std::string_view::npos) end = packed.size();
    const std::string_view line = packed.substr(pos, end - pos);
    const size_t tab = line.find('\t');
    if (tab != std::string_view::npos && tab > 0 && tab + 1 < line.size())
      types_.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    pos = end + 1;
  }
}

std::string_view MimeTypes::lookup(std::string_view name) const {
  static constexpr std::string_view kDefault = "application/octet-stream";
  const size_t slash = name.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  const size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == base.size()) return kDefault;
  std::string ext(base.substr(dot + 1));
  for (char &c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  auto it = types_.find(ext);
  return it == types_.end() ? kDefault : std::string_view(it->second);
}

} // namespace uvhttp
