// The open connections of a server, by slot. A slot is reused once its connection has closed; the
// serial number in ConnectionId tells a later connection in the same slot from the one before.
#pragma once

#include <cstdint>
#include <vector>

#include "core/server_context.h"

namespace uvhttp {

class ConnectionTable {
public:
  // Claims a slot for a new connection; false when the table is full.
  bool claim(ConnectionId *id);
  void attach(const ConnectionId &id, Connection *c) { slots_[id.slot] = Entry{c, id.serial}; }
  // Frees the slot (its connection has closed); a lookup of the old id finds nothing from now on.
  void release(const ConnectionId &id);
  // The connection with exactly this id, or nullptr when it has gone.
  Connection *find(uint32_t slot, uint64_t serial) const {
    if (slot >= slots_.size()) return nullptr;
    const Entry &e = slots_[slot];
    return e.serial == serial ? e.connection : nullptr;
  }
  Connection *find(const ConnectionId &id) const { return find(id.slot, id.serial); }
  template <typename F> void for_each(F f) const {
    for (const Entry &e : slots_)
      if (e.connection) f(e.connection);
  }
  size_t size() const { return slots_.size(); }

  static constexpr uint32_t kMaxSlots = 1u << 24;

private:
  struct Entry {
    Connection *connection;
    uint64_t serial; // 0 when free: serials start at 1
  };
  std::vector<Entry> slots_;
  // Last in, first out: the slot reused next is the one whose memory is warm.
  std::vector<uint32_t> free_;
  uint64_t next_serial_ = 1;
};

} // namespace uvhttp
