#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ordeal/engine/run.hpp"

namespace ordeal::cli {

// The live progress line on stderr: rewritten in place on a terminal, one line a second
// otherwise (CI logs), nothing when quiet.
class progress_line {
 public:
  explicit progress_line(bool quiet);
  // For engine::run / scenarios::run_drill; empty when quiet. Valid while this object lives.
  engine::progress_callback callback();
  // Erases the line before the report (terminal only).
  void clear();
  // A drill with faults: the names of those active now ("db/latency"), asked once per line
  // and shown at its end.
  void show_faults(std::function<std::vector<std::string>()> active);
  // The last complete second's p99 in µs (0: none), for runs whose progress does not carry it
  // (drills: from the live view). Same thread as the callback.
  void set_last_second_p99(std::uint64_t us) noexcept { last_second_p99_us_ = us; }

 private:
  bool quiet_;
  bool tty_;
  engine::progress previous_;
  std::function<std::vector<std::string>()> active_faults_;
  std::uint64_t last_second_p99_us_ = 0;
};

}  // namespace ordeal::cli
