// The requests read in one loop iteration, laid out for JavaScript to read without any N-API call per
// request. JS sees `data` as a Buffer and `meta` as a Uint32Array; lib/protocol.ts mirrors this layout.
//
// Each request is one variable-length record of u32 words in `meta`:
//   [0] connection slot  [1] connection serial, low word  [2] serial, high word
//   [3] sequence number on that connection  [4] handler id  [5] flags
//   [6] method offset  [7] method length  [8] target offset  [9] target length  [10] path length
//   [11] body offset  [12] body length  [13] header count  [14] param count
//   then 4 words a header (name offset, name length, value offset, value length)
//   then 2 words a param (offset, length)
// Offsets index `data`, which holds a copy of each request's head and body: the connection's read
// buffer is reused at once. The batch itself is reused by the next iteration, so JS copies out what
// a handler still needs after the batch (lib/request.ts).
//
// The data buffer stops taking requests past kSoftLimit bytes (the rest wait for the next batch), so
// with bodies below 2 GiB no offset can pass 2^32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/parser.h"
#include "core/router.h"

namespace uvhttp {

namespace batch {
constexpr uint32_t kFixedWords = 15;
constexpr uint32_t kFlagHead = 1;      // HEAD answered by a GET route: JS sends no body
constexpr uint32_t kFlagHttp10 = 2;
constexpr uint32_t kFlagBodyStream = 4; // the body follows: JS reads it as it arrives (body length 0)
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
  // every pointer in `head` lies inside it, and so does url (the path and query JS sees as req.url:
  // the whole origin-form target, or the part of an absolute-form one after its authority), whose
  // first path_len bytes are the path. Returns false when the buffers could not grow.
  bool add(uint32_t slot, uint64_t serial, uint32_t seq, uint32_t handler, uint32_t flags, const RequestHead &head,
           const char *head_start, size_t head_len, std::string_view url, size_t path_len, const char *body,
           size_t body_len, const RouteMatch &match);

  uint32_t count() const { return count_; }
  // Past the soft limit the batch takes no more requests until it has run.
  bool full() const { return data_used_ >= kSoftLimit; }
  static constexpr size_t kSoftLimit = 64 * 1024 * 1024;
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
