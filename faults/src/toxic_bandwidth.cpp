#include <algorithm>

#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Passes data at `rate` KB/s (1 KB = 1000 bytes, as toxiproxy: bytes per millisecond), each
// piece after the time it takes at that rate, so N bytes take N / rate. Per connection and
// direction; with `shared` the rate is the proxy's, split among all its connections (the
// pacing clock lives on the toxic). Idle time earns no credit: a burst after a pause is paced
// too. A piece is at most 100 ms worth of data, so a slow rate trickles instead of stalling.
class bandwidth_toxic final : public toxic {
 public:
  bandwidth_toxic(const toxic_spec& spec, double rate_kb_per_s, bool shared)
      : toxic(spec), rate_bytes_per_ms_(rate_kb_per_s), shared_(shared) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const bandwidth_toxic& t) : t_(t) {}

    boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
      const auto piece =
          std::max<std::size_t>(1, static_cast<std::size_t>(t_.rate_bytes_per_ms_ * 100));
      std::size_t offset = 0;
      while (offset < c.size) {
        const std::size_t n = std::min(piece, c.size - offset);
        // Reserve the piece's slot on the clock (this connection's, or the proxy's), then
        // wait for its end: the piece goes out once its bytes have "crossed" the link.
        auto& next_free = t_.shared_ ? t_.shared_next_free_ : next_free_;
        const auto due = std::max(next_free, clock::now()) + t_.transfer_time(n);
        next_free = due;
        // Never `if (co_await ...)`: GCC 12 miscompiles a co_await in a condition.
        const bool waited = co_await ctx.sleep_until(due);
        if (!waited) {
          // Removed or closing: what is held goes on at once, none of it dropped.
          co_await ctx.forward(c.sub(offset, c.size - offset));
          co_return;
        }
        co_await ctx.forward(c.sub(offset, n));
        offset += n;
      }
    }

   private:
    const bandwidth_toxic& t_;
    clock::time_point next_free_{};
  };

  clock::duration transfer_time(std::size_t bytes) const {
    const double ns = static_cast<double>(bytes) * 1e6 / rate_bytes_per_ms_;
    return std::chrono::duration_cast<clock::duration>(
        std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
  }

  double rate_bytes_per_ms_;  // KB/s
  bool shared_;
  // With `shared`: when the proxy's link is next free, for all its connections. Mutable on an
  // immutable toxic: fault thread only, as every stage.
  mutable clock::time_point shared_next_free_{};
};

}  // namespace

std::shared_ptr<const toxic> build_bandwidth(const toxic_spec& spec, attribute_reader& attrs) {
  const double rate = attrs.number("rate", -1, 0, 1e9);  // -1: absent
  if (rate < 0) attrs.fail("rate", "missing: the rate in KB/s (1 KB = 1000 bytes)");
  // Toxiproxy's rate 0 stalls the link (by accident of its loop): a stall is the timeout
  // toxic's job, and "no limit" is no toxic, so 0 is refused rather than guessed at.
  if (rate <= 0) attrs.fail("rate", "expected a rate in KB/s > 0, got 0");
  const bool shared = attrs.boolean("shared", false);
  return std::make_shared<bandwidth_toxic>(spec, rate, shared);
}

}  // namespace ordeal::faults
