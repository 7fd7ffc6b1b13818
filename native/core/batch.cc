#include "core/batch.h"

#include <cstring>

namespace uvhttp {

bool RequestBatch::add(uint32_t slot, uint64_t serial, uint32_t seq, uint32_t handler, uint32_t flags,
                       const RequestHead &head, const char *head_start, size_t head_len,
                       std::string_view url, size_t path_len, const char *body, size_t body_len,
                       const RouteMatch &match) {
  size_t words = batch::kFixedWords + 4 * head.num_headers + 2 * match.num_params;
  size_t bytes = head_len + body_len;
  if (data_used_ + bytes > storage_->data_capacity || meta_used_ + words > storage_->meta_capacity) {
    size_t want_data = storage_->data_capacity, want_meta = storage_->meta_capacity;
    // Doubling, but never past what is needed once large: a 1.5 GiB body must not ask for 4 GiB.
    while (want_data < data_used_ + bytes)
      want_data = want_data >= (size_t{1} << 30) ? data_used_ + bytes : want_data * 2;
    while (want_meta < meta_used_ + words) want_meta *= 2;
    if (!storage_->grow(want_data, want_meta, data_used_, meta_used_)) return false;
  }

  uint8_t *data = storage_->data;
  const uint32_t base = static_cast<uint32_t>(data_used_);
  std::memcpy(data + base, head_start, head_len);
  const uint32_t body_off = base + static_cast<uint32_t>(head_len);
  if (body_len) std::memcpy(data + body_off, body, body_len);
  data_used_ += bytes;

  auto off = [&](const char *p) { return base + static_cast<uint32_t>(p - head_start); };
  uint32_t *m = storage_->meta + meta_used_;
  m[0] = slot;
  m[1] = static_cast<uint32_t>(serial);
  m[2] = static_cast<uint32_t>(serial >> 32);
  m[3] = seq;
  m[4] = handler;
  m[5] = flags;
  m[6] = off(head.method);
  m[7] = static_cast<uint32_t>(head.method_len);
  m[8] = off(url.data());
  m[9] = static_cast<uint32_t>(url.size());
  m[10] = static_cast<uint32_t>(path_len);
  m[11] = body_off;
  m[12] = static_cast<uint32_t>(body_len);
  m[13] = static_cast<uint32_t>(head.num_headers);
  m[14] = match.num_params;
  uint32_t *h = m + batch::kFixedWords;
  for (size_t i = 0; i < head.num_headers; ++i, h += 4) {
    const HeaderField &f = head.headers[i];
    h[0] = off(f.name);
    h[1] = static_cast<uint32_t>(f.name_len);
    h[2] = off(f.value);
    h[3] = static_cast<uint32_t>(f.value_len);
  }
  // Params are offsets into the path, which starts at the target.
  const uint32_t target = m[8];
  for (uint32_t i = 0; i < match.num_params; ++i, h += 2) {
    h[0] = target + match.params[i].offset;
    h[1] = match.params[i].length;
  }
  meta_used_ += words;
  ++count_;
  return true;
}

} // namespace uvhttp
