// The requests read in one loop iteration, laid out for JavaScript to read without any N-API call per
// request. JS sees `data` as a Buffer and `meta` as a Uint32Array; lib/protocol.ts mirrors this layout.
//
// Each request is one variable-length record of u32 words in `meta`:
//   [0] connection id  [1] sequence number on that connection  [2] handler id  [3] flags
//   [4] method offset  [5] method length  [6] target offset  [7] target length  [8] path length
//   [9] body offset  [10] body length  [11] header count  [12] param count
//   then 4 words a header (name offset, name length, value offset, value length)
//   then 2 words a param (offset, length)
// Offsets index `data`, which holds a copy of each request's head and body, so a handler may keep the
// request after `await` while the connection's read buffer is reused.
#pragma once

#include <cstddef>
#include <cstdint>

#include "parser.h"
#include "router.h"

namespace uvhttp {

namespace batch {
constexpr uint32_t kFixedWords = 13;
constexpr uint32_t kFlagHead = 1;      // HEAD answered by a GET route: JS sends no body
constexpr uint32_t kFlagHttp10 = 2;
} // namespace batch

// Grows the shared buffers; implemented by the binding, which allocates them as JS buffers.
class BatchStorage {
public:
  virtual ~BatchStorage() = default;
  // Replace the buffers with ones of at least these sizes, keeping the first used bytes/words.
  // Returns false when the allocation failed.
  virtual bool grow(size_t data_bytes, size_t meta_words, size_t used_bytes, size_t used_words) = 0;
  uint8_t *data = nullptr;
  uint32_t *meta = nullptr;
  size_t data_capacity = 0;
  size_t meta_capacity = 0;
};

class RequestBatch {
public:
  explicit RequestBatch(BatchStorage *storage) : storage_(storage) {}

  // Copies one request into the batch. head_start/head_len cover the request head in the read buffer;
  // every pointer in `head` lies inside it. Returns false when the buffers could not grow.
  bool add(uint32_t conn_id, uint32_t seq, uint32_t handler, uint32_t flags, const RequestHead &head,
           const char *head_start, size_t head_len, size_t path_len, const char *body, size_t body_len,
           const RouteMatch &match);

  uint32_t count() const { return count_; }
  void clear() {
    count_ = 0;
    data_used_ = 0;
    meta_used_ = 0;
  }

private:
  BatchStorage *storage_;
  uint32_t count_ = 0;
  size_t data_used_ = 0;
  size_t meta_used_ = 0;
};

} // namespace uvhttp
