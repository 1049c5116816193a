#include "ordeal/engine/results.hpp"

#include <numeric>

namespace ordeal::engine {

std::string_view to_string(outcome o) noexcept {
  switch (o) {
    case outcome::ok:
      return "ok";
    case outcome::status:
      return "status";
    case outcome::connect:
      return "connect";
    case outcome::timeout:
      return "timeout";
    case outcome::reset:
      return "reset";
    case outcome::protocol:
      return "protocol";
    case outcome::dropped:
      return "dropped";
    case outcome::abandoned:
      return "abandoned";
    case outcome::tls:
      return "tls";
    case outcome::refused:
      return "refused";
    case outcome::stream_reset:
      return "stream_reset";
  }
  return "unknown";
}

std::uint64_t second_sample::total() const noexcept {
  return std::accumulate(outcomes.begin(), outcomes.end(), std::uint64_t{0});
}

std::uint64_t run_results::total() const noexcept {
  return std::accumulate(outcomes.begin(), outcomes.end(), std::uint64_t{0});
}

double run_results::error_rate() const noexcept {
  const auto t = total();
  return t == 0 ? 0.0 : static_cast<double>(errors()) / static_cast<double>(t);
}

double run_results::rps() const noexcept {
  // Attempts that went out: a dropped arrival never reached the wire.
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto sent = total() - count(outcome::dropped);
  return seconds <= 0 ? 0.0 : static_cast<double>(sent) / seconds;
}

}  // namespace ordeal::engine
