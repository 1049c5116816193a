#pragma once

#include "ordeal/engine/run.hpp"

namespace ordeal::cli {

// SIGINT/SIGTERM: the first asks `control` to stop (the run reports what happened so far),
// a second exits at once with 105. Also ignores SIGPIPE (a peer closing under a write is an
// error value, not a reason to die).
void install_stop_signals(engine::run_control& control);
// Back to the defaults (after the run).
void restore_signals();

}  // namespace ordeal::cli
