#include "progress_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>

#include "ordeal/reporters/console_report.hpp"

namespace ordeal::cli {

namespace {

// ", faults: 2 (db/latency, db/down)" (nothing when none is active): at most three names, so
// the line stays one line.
std::string faults_suffix(const std::vector<std::string>& active) {
  if (active.empty()) return {};
  std::string s = ", faults: " + std::to_string(active.size()) + " (";
  for (std::size_t i = 0; i < active.size() && i < 3; ++i)
    s += (i ? ", " : "") + active[i];
  return s + (active.size() > 3 ? ", ...)" : ")");
}

}  // namespace

progress_line::progress_line(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

engine::progress_callback progress_line::callback() {
  if (quiet_) return {};
  return [this](const engine::progress& progress) {
    engine::progress p = progress;
    if (p.last_second_p99_us == 0) p.last_second_p99_us = last_second_p99_us_;
    auto line = reporters::format_progress(p, previous_);
    previous_ = p;
    if (active_faults_) line += faults_suffix(active_faults_());
    if (tty_) {
      // Wider than the terminal, the line would wrap and \r would no longer rewrite it.
      winsize ws{};
      if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && line.size() >= ws.ws_col) {
        // The words go before the figures: the active faults matter more.
        if (const auto at = line.find(" (last second)"); at != std::string::npos)
          line.erase(at, 14);
        if (line.size() >= ws.ws_col) line.resize(ws.ws_col - 1u);
      }
      std::cerr << "\r\033[K" << line << std::flush;
    } else {
      std::cerr << line << '\n';
    }
  };
}

void progress_line::show_faults(std::function<std::vector<std::string>()> active) {
  active_faults_ = std::move(active);
}

void progress_line::clear() {
  if (tty_ && !quiet_) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace ordeal::cli
