#include "ordeal/reporters/console_report.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <string_view>

#include "ordeal/reporters/format.hpp"

namespace ordeal::reporters {

namespace {

using engine::outcome;

constexpr int label_width = 16;
constexpr int column_width = 10;

// Error classes in the order an operator reads them: the server's answers first, then the
// network's failures, then the ones ordeal chose (dropped by the open model's queue limit).
constexpr outcome error_classes[] = {outcome::status,      outcome::connect,  outcome::timeout,
                                     outcome::reset,       outcome::protocol, outcome::dropped,
                                     outcome::abandoned,   outcome::tls,      outcome::refused,
                                     outcome::stream_reset};

double seconds(std::chrono::nanoseconds d) noexcept {
  return std::chrono::duration<double>(d).count();
}

double micros(std::chrono::nanoseconds d) noexcept {
  return static_cast<double>(d.count()) / 1e3;
}

// Shortest exact form ("1000", "1234.5"): a configured rate reads as the user wrote it.
std::string shortest(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

std::ostream& label(std::ostream& out, std::string_view text, int indent = 2) {
  return out << std::string(indent, ' ') << std::left << std::setw(label_width - indent) << text
             << std::right;
}

// A table row; the header row (indent 0) names the table, data rows are indented under it.
void write_columns(std::ostream& out, std::string_view row, const std::vector<std::string>& cells,
                   int indent = 2) {
  label(out, row, indent);
  for (const auto& c : cells)
    out << std::setw(column_width) << c;
  out << '\n';
}

std::vector<std::string> latency_cells(const engine::histogram& h) {
  if (h.count() == 0) return std::vector<std::string>(7, "-");
  const auto f = [](std::uint64_t us) { return format_latency_us(static_cast<double>(us)); };
  return {f(h.min()),
          format_latency_us(h.mean()),
          f(h.percentile(50.0)),
          f(h.percentile(90.0)),
          f(h.percentile(99.0)),
          f(h.percentile(99.9)),
          f(h.max())};
}

std::vector<std::string> phase_cells(const engine::histogram& h) {
  if (h.count() == 0) return std::vector<std::string>(3, "-");
  const auto f = [](std::uint64_t us) { return format_latency_us(static_cast<double>(us)); };
  return {f(h.percentile(50.0)), f(h.percentile(99.0)), f(h.max())};
}

void write_header(std::ostream& out, const engine::run_results& r, const run_info& info) {
  out << "ordeal";
  if (!info.version.empty()) out << ' ' << info.version;
  out << "  " << info.method << ' ' << info.target << '\n';
  if (r.interrupted) out << "interrupted: partial results (stopped before the end of the run)\n";

  label(out, "model");
  if (r.open_model) {
    out << "open: rate " << shortest(r.target_rate_per_s) << "/s, max " << r.connections
        << " connections, " << r.threads << " threads\n";
  } else {
    out << "closed: " << r.connections << " connections, " << r.threads << " threads\n";
  }
  label(out, "duration") << format_latency_us(micros(r.duration)) << " (wall "
                         << format_latency_us(micros(r.wall_time)) << ")\n";
  if (!info.started_at.empty()) label(out, "started") << info.started_at << '\n';
  label(out, "seed") << info.seed << '\n';
}

void write_status_codes(std::ostream& out, const engine::run_results& r) {
  // Only the codes that made the attempt an error; 2xx/3xx are the ok count.
  bool first = true;
  for (const auto& [code, n] : r.status_codes) {
    if (!engine::is_error_status(code)) continue;
    out << (first ? "  (" : ", ") << code << ": " << n;
    first = false;
  }
  if (!first) out << ')';
}

void write_requests(std::ostream& out, const engine::run_results& r) {
  out << "\nrequests\n";
  label(out, "total") << r.total() << '\n';
  label(out, "ok") << r.count(outcome::ok) << '\n';
  label(out, "rate") << format_rate(r.rps()) << " req/s\n";
  label(out, "errors") << r.errors() << " (" << format_percent(r.error_rate()) << ")\n";
  for (const outcome o : error_classes) {
    if (r.count(o) == 0) continue;
    label(out, engine::to_string(o), 4) << r.count(o);
    if (o == outcome::status) write_status_codes(out, r);
    out << '\n';
  }
  if (!r.error_reasons.empty()) {
    out << "    reasons\n";
    for (const auto& [reason, n] : r.error_reasons) {
      out << "      " << std::setw(label_width - 6) << n << "  " << reason << '\n';
    }
  }
  label(out, "in flight") << r.in_flight << " at end (not counted above)\n";
  label(out, "unsolicited") << r.unsolicited_responses
                            << " (responses on idle connections, not attempts)\n";
}

void write_latency(std::ostream& out, const engine::run_results& r) {
  out << '\n';
  write_columns(out, "latency", {"min", "mean", "p50", "p90", "p99", "p99.9", "max"}, 0);
  write_columns(out, "corrected", latency_cells(r.latency));
  // The closed model sends when the previous response arrives, so both rows would be equal.
  if (r.open_model) write_columns(out, "uncorrected", latency_cells(r.latency_uncorrected));
  if (r.latency.count() == 0) out << "  no responses: no latency to report\n";

  out << '\n';
  write_columns(out, "phases", {"p50", "p99", "max"}, 0);
  write_columns(out, "connect", phase_cells(r.connect_time));
  if (r.tls) write_columns(out, "tls handshake", phase_cells(r.tls_handshake));
  write_columns(out, "ttfb", phase_cells(r.ttfb));
}

void write_transfer(std::ostream& out, const engine::run_results& r) {
  out << "\ntransfer\n";
  label(out, "sent") << format_bytes(r.bytes_sent) << " (" << r.bytes_sent << " bytes)\n";
  label(out, "received") << format_bytes(r.bytes_received) << " (" << r.bytes_received
                         << " bytes)\n";
  label(out, "connections") << r.connections_opened << " opened";
  if (!r.protocol.empty()) out << ", " << r.protocol;
  out << '\n';
  if (r.tls && r.tls_full_handshakes + r.tls_resumed_handshakes > 0)
    label(out, "tls") << r.tls_full_handshakes << " full handshakes, " << r.tls_resumed_handshakes
                      << " resumed\n";
}

void write_thresholds(std::ostream& out, const std::vector<threshold_result>& thresholds) {
  if (thresholds.empty()) return;
  out << "\nthresholds\n";
  std::size_t width = 0;
  for (const auto& t : thresholds)
    width = std::max(width, t.expression.size());
  std::size_t failed = 0;
  for (const auto& t : thresholds) {
    if (!t.passed) ++failed;
    out << "  " << (t.passed ? "PASS" : "FAIL") << "  " << std::left
        << std::setw(static_cast<int>(width)) << t.expression << std::right << "  measured "
        << t.measured << '\n';
  }
  if (failed == 0) {
    out << "  all " << thresholds.size() << " thresholds passed\n";
  } else {
    out << "  " << failed << " of " << thresholds.size() << " thresholds failed\n";
  }
}

// The caller's stream state is theirs: write with the defaults (a caller's std::hex would
// garble every count) and give it back as it was, even if writing throws.
class stream_defaults {
 public:
  explicit stream_defaults(std::ostream& out)
      : out_(out), flags_(out.flags(std::ios_base::dec)), fill_(out.fill(' ')) {}
  ~stream_defaults() {
    out_.fill(fill_);
    out_.flags(flags_);
  }
  stream_defaults(const stream_defaults&) = delete;
  stream_defaults& operator=(const stream_defaults&) = delete;

 private:
  std::ostream& out_;
  std::ios_base::fmtflags flags_;
  char fill_;
};

std::string format_progress_line(const engine::progress& now, double rate) {
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "[%6.1fs] ", seconds(now.elapsed));
  const double error_fraction =
      now.completed == 0 ? 0.0
                         : static_cast<double>(now.errors) / static_cast<double>(now.completed);
  std::string line = elapsed;
  line += std::to_string(now.completed) + " requests, " + format_rate(rate) + " req/s, " +
          std::to_string(now.errors) + " errors (" + format_percent(error_fraction) + "), p99 ";
  line += now.last_second_p99_us == 0
              ? std::string("-")
              : format_latency_us(static_cast<double>(now.last_second_p99_us));
  line += " (last second)";
  return line;
}

double average_rate(const engine::progress& p) noexcept {
  const double s = seconds(p.elapsed);
  return s > 0 ? static_cast<double>(p.completed) / s : 0.0;
}

}  // namespace

void write_console_report(std::ostream& out, const engine::run_results& r,
                          const std::vector<threshold_result>& thresholds, const run_info& info) {
  const stream_defaults defaults(out);
  write_header(out, r, info);
  write_requests(out, r);
  write_latency(out, r);
  write_transfer(out, r);
  write_thresholds(out, thresholds);
}

std::string format_progress(const engine::progress& now) {
  return format_progress_line(now, average_rate(now));
}

std::string format_progress(const engine::progress& now, const engine::progress& previous) {
  const double interval_s = seconds(now.elapsed - previous.elapsed);
  // A stale or reordered sample says nothing about the current rate; fall back to the average.
  if (interval_s <= 0 || now.completed < previous.completed) return format_progress(now);
  return format_progress_line(now,
                              static_cast<double>(now.completed - previous.completed) / interval_s);
}

}  // namespace ordeal::reporters
