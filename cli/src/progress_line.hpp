#pragma once

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

 private:
  bool quiet_;
  bool tty_;
  engine::progress previous_;
};

}  // namespace ordeal::cli
