#include "wrk_report.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>

#include "wrk_units.hpp"

namespace ordeal::scenarios {
namespace {

std::string printf_string(const char* format, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

// A value right-aligned in `width` columns, where a unit suffix (up to two letters) may use the
// two columns after the number: wrk's print_units, which keeps the numbers' last digits lined up.
std::string units_column(const std::string& text, int width) {
  int pad = 2;
  const auto n = text.size();
  if (n >= 1 && std::isalpha(static_cast<unsigned char>(text[n - 1]))) --pad;
  if (n >= 2 && std::isalpha(static_cast<unsigned char>(text[n - 2]))) --pad;
  width -= pad;
  return printf_string("%*.*s%.*s", width, width, text.c_str(), pad, "  ");
}

using formatter = std::string (*)(double);

void stats_line(std::ostream& out, const char* name, const wrk_stats_view& view, formatter fmt) {
  const auto& s = view.summary();
  out << printf_string("    %-10s", name) << units_column(fmt(s.mean), 8)
      << units_column(fmt(s.stdev), 10)
      << units_column(fmt(static_cast<double>(view.histogram().max())), 9)
      << printf_string("%8.2f%%", s.within_stdev_pct) << '\n';
}

std::string plain(double n) {
  return format_metric(n);
}

}  // namespace

void write_wrk_header(std::ostream& out, const wrk_options& options) {
  const double seconds = std::chrono::duration<double>(options.duration).count();
  // wrk's durations are whole seconds; ordeal also takes "500ms", which wrk's format would
  // print as "0s".
  const std::string duration =
      seconds >= 1 ? format_time_s(static_cast<double>(static_cast<long long>(seconds)))
                   : format_time_us(seconds * 1e6);
  out << "Running " << duration << " test @ " << options.url << '\n'
      << "  " << options.threads << " threads and " << options.connections << " connections\n";
}

void write_wrk_report(std::ostream& out, const wrk_options& options, const wrk_results& results,
                      const wrk_stats_view& latency, const wrk_stats_view& rates) {
  out << printf_string("  Thread Stats%6s%11s%8s%12s", "Avg", "Stdev", "Max", "+/- Stdev") << '\n';
  stats_line(out, "Latency", latency, format_time_us);
  stats_line(out, "Req/Sec", rates, plain);
  if (options.latency) {
    out << "  Latency Distribution\n";
    for (const double p : {50.0, 75.0, 90.0, 99.0}) {
      out << printf_string("%7.0f%%", p)
          << units_column(format_time_us(static_cast<double>(latency.histogram().percentile(p))),
                          10)
          << '\n';
    }
  }

  const double runtime_us = static_cast<double>(results.duration.count());
  const double runtime_s = runtime_us / 1e6;
  out << "  " << results.requests << " requests in " << format_time_us(runtime_us) << ", "
      << format_binary(static_cast<double>(results.bytes)) << "B read\n";
  const auto& e = results.errors;
  if (e.any_socket_error())
    out << "  Socket errors: connect " << e.connect << ", read " << e.read << ", write " << e.write
        << ", timeout " << e.timeout << '\n';
  if (e.status > 0) out << "  Non-2xx or 3xx responses: " << e.status << '\n';
  const double rps = runtime_s > 0 ? static_cast<double>(results.requests) / runtime_s : 0;
  const double bps = runtime_s > 0 ? static_cast<double>(results.bytes) / runtime_s : 0;
  out << printf_string("Requests/sec: %9.2f", rps) << '\n'
      << printf_string("Transfer/sec: %10sB", format_binary(bps).c_str()) << '\n';
}

}  // namespace ordeal::scenarios
