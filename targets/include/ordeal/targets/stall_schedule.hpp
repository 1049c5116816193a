#pragma once

#include <chrono>

namespace ordeal::targets {

// Periodic stalls of the whole server (`--stall-every 5s --stall-for 1s`): during
// [k*every, k*every + length) for k = 1, 2, ... after start, no response is sent; a
// response that becomes due inside a stall is held until the stall ends. The first stall
// starts `every` after start, so a run sees normal service before the first freeze.
// A closed-model client then sees one slow request per connection, an open-model client
// the whole stall: the textbook demonstration of coordinated omission.
struct stall_schedule {
  std::chrono::nanoseconds every{0};
  std::chrono::nanoseconds length{0};  // "stall for"; 0 with every 0: no stalls

  bool enabled() const noexcept { return every.count() > 0 && length.count() > 0; }

  // When a response due at `due` (time since start) may be sent: `due` itself outside a
  // stall, the end of the stall inside one. Assumes 0 <= length < every when enabled.
  std::chrono::nanoseconds release(std::chrono::nanoseconds due) const noexcept;
};

}  // namespace ordeal::targets
