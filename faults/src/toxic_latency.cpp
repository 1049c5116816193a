#include <algorithm>

#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

enum class jitter_shape { uniform, normal };

// Delays every chunk by `latency` +/- `jitter` from the moment it was read. Chunks are read
// ahead while earlier ones wait, so a stream is delayed, not slowed; order is kept (a chunk
// never overtakes the one before it, as on a real path).
class latency_toxic final : public toxic {
 public:
  latency_toxic(const toxic_spec& spec, std::chrono::nanoseconds latency,
                std::chrono::nanoseconds jitter, jitter_shape shape)
      : toxic(spec), latency_(latency), jitter_(jitter), shape_(shape) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const latency_toxic& t) : t_(t) {}
    boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
      co_await ctx.sleep_until(c.read_at + t_.delay(ctx.random()));
      co_await ctx.forward(c);
    }

   private:
    const latency_toxic& t_;
  };

  std::chrono::nanoseconds delay(fault_random& r) const {
    if (jitter_.count() == 0) return latency_;
    const double j = static_cast<double>(jitter_.count());
    const double offset =
        shape_ == jitter_shape::uniform ? (r.uniform() * 2 - 1) * j : r.normal() * j;
    return std::max(std::chrono::nanoseconds{0},
                    latency_ + std::chrono::nanoseconds(static_cast<std::int64_t>(offset)));
  }

  std::chrono::nanoseconds latency_;
  std::chrono::nanoseconds jitter_;
  jitter_shape shape_;
};

}  // namespace

std::shared_ptr<const toxic> build_latency(const toxic_spec& spec, attribute_reader& attrs) {
  const auto latency = attrs.duration("latency", {});
  const auto jitter = attrs.duration("jitter", {});
  const auto dist = attrs.string("distribution", "uniform");
  if (dist != "uniform" && dist != "normal")
    attrs.fail("distribution", "expected \"uniform\" or \"normal\", got \"" + dist + "\"");
  return std::make_shared<latency_toxic>(
      spec, latency, jitter, dist == "normal" ? jitter_shape::normal : jitter_shape::uniform);
}

}  // namespace ordeal::faults
