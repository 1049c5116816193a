#include "ordeal/targets/stall_schedule.hpp"

namespace ordeal::targets {

std::chrono::nanoseconds stall_schedule::release(std::chrono::nanoseconds due) const noexcept {
  if (!enabled() || due < every) return due;  // k starts at 1: no stall before `every`
  const auto period_start = due - due % every;
  return due < period_start + length ? period_start + length : due;
}

}  // namespace ordeal::targets
