#include "core/connection_table.h"

namespace uvhttp {

bool ConnectionTable::claim(ConnectionId *id) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    if (slots_.size() >= kMaxSlots) return false;
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(Entry{nullptr, 0});
    free_.reserve(slots_.capacity()); // so release(), called from close callbacks, never allocates
  }
  id->slot = slot;
  id->serial = next_serial_++;
  return true;
}

void ConnectionTable::release(const ConnectionId &id) {
  slots_[id.slot] = Entry{nullptr, 0};
  free_.push_back(id.slot);
}

} // namespace uvhttp
