// The records JS writes to hand responses to the core (lib/output.ts writes them, lib/protocol.ts
// mirrors this layout): records[0] is the count, then kWords words each.
//
//   [0] connection slot  [1] serial, low word  [2] serial, high word  [3] sequence number
//   [4] offset in data  [5] head length  [6] body length (the body follows the head in data)
//   [7] part | flags
//
// A response is one Whole record, or a streamed one: Start (its head, maybe the first body bytes),
// any number of More, then Last -- or Abort, when it cannot be completed (its source failed, or it
// sent less than its Content-Length): what was queued goes out and the connection ends, so the client
// sees a truncated response instead of a complete-looking one. Body bytes are already framed by JS
// (chunk sizes for the chunked coding); the core sends them as they are.
#pragma once

#include <cstddef>
#include <cstdint>

namespace uvhttp::response_record {

constexpr size_t kWords = 8;

enum class Part : uint8_t { Whole = 0, Start = 1, More = 2, Last = 3, Abort = 4 };
constexpr uint32_t kPartMask = 0xff;

// Tell JS (Server's drained report) once this connection has sent all it holds: its writer waits.
constexpr uint32_t kWantDrain = 0x100;
// Start of a body that ends when the connection closes (an HTTP/1.0 client, no Content-Length): the
// head says Connection: close and no request after this one is answered.
constexpr uint32_t kCloseDelimited = 0x200;

} // namespace uvhttp::response_record
