#include "progress_line.hpp"

#include <unistd.h>

#include <iostream>

#include "ordeal/reporters/console_report.hpp"

namespace ordeal::cli {

progress_line::progress_line(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

engine::progress_callback progress_line::callback() {
  if (quiet_) return {};
  return [this](const engine::progress& p) {
    const auto line = reporters::format_progress(p, previous_);
    previous_ = p;
    if (tty_)
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << '\n';
  };
}

void progress_line::clear() {
  if (tty_ && !quiet_) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace ordeal::cli
