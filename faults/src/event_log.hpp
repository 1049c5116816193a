#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

#include "ordeal/engine/fault_event.hpp"

namespace ordeal::faults {

// The fault record: every start, stop and hit, in order, up to a cap (a long drill with a
// per-chunk fault must not grow without bound; past the cap events are counted as dropped).
// Fault-thread only.
class event_log {
 public:
  using clock = std::chrono::steady_clock;
  explicit event_log(std::size_t capacity = 200'000) : capacity_(capacity) {}

  // Time zero of at_us (the load's start); until set, the log's creation. Events already
  // recorded (during a drill's setup) are moved to the new zero: they become negative.
  void set_origin(clock::time_point origin) noexcept {
    const auto shift = std::chrono::duration_cast<std::chrono::microseconds>(origin - origin_);
    for (auto& e : events_)
      e.at_us -= shift.count();
    origin_ = origin;
  }
  std::int64_t now_us() const noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - origin_).count();
  }

  // Stamps `e.at_us` with now and keeps it (or counts it as dropped).
  void record(engine::fault_event e) {
    e.at_us = now_us();
    if (events_.size() >= capacity_) {
      ++dropped_;
      return;
    }
    events_.push_back(std::move(e));
  }

  const std::vector<engine::fault_event>& all() const noexcept { return events_; }
  std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  std::size_t capacity_;
  clock::time_point origin_ = clock::now();
  std::vector<engine::fault_event> events_;
  std::uint64_t dropped_ = 0;
};

}  // namespace ordeal::faults
