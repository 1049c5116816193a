#include <array>
#include <utility>

#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Slices every chunk into pieces of about `average_size` bytes (+/- `size_variation`), with
// `delay` between two pieces: what a peer sees from a slow, fragmenting path, and what trips a
// parser that assumes one read is one message. Bytes and order are unchanged.
class slicer_toxic final : public toxic {
 public:
  slicer_toxic(const toxic_spec& spec, std::size_t average, std::size_t variation,
               std::chrono::nanoseconds delay)
      : toxic(spec), average_(average), variation_(variation), delay_(delay) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const slicer_toxic& t) : t_(t) {}

    boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
      // Toxiproxy's slicing: a range longer than average + variation is cut near its middle
      // (+/- variation) and both halves sliced again, so pieces vary evenly along the chunk.
      // Depth first, left first, on a fixed stack: the pieces come out in order, and no
      // allocation. variation < average makes every cut land strictly inside its range.
      std::array<std::pair<std::size_t, std::size_t>, 64> stack;
      std::size_t depth = 0;
      stack[depth++] = {0, c.size};
      while (depth > 0) {
        auto [begin, end] = stack[--depth];
        const std::size_t size = end - begin;
        if (size > t_.average_ + t_.variation_ && depth + 2 <= stack.size()) {
          const auto v = static_cast<std::int64_t>(t_.variation_);
          const std::int64_t offset =
              v == 0 ? 0
                     : static_cast<std::int64_t>(ctx.random().next() %
                                                 static_cast<std::uint64_t>(2 * v)) -
                           v;
          const auto mid =
              static_cast<std::size_t>(static_cast<std::int64_t>(begin + size / 2) + offset);
          stack[depth++] = {mid, end};
          stack[depth++] = {begin, mid};
          continue;
        }
        co_await ctx.forward(c.sub(begin, size));
        if (depth == 0) break;
        if (holding_ && t_.delay_.count() > 0) {
          // Not in the condition: GCC 12 miscompiles a co_await there.
          const bool waited = co_await ctx.sleep_until(clock::now() + t_.delay_);
          holding_ = waited;  // cut short (removed, closing): the rest goes on at once
        }
      }
    }

   private:
    const slicer_toxic& t_;
    bool holding_ = true;
  };

  std::size_t average_;
  std::size_t variation_;
  std::chrono::nanoseconds delay_;
};

}  // namespace

std::shared_ptr<const toxic> build_slicer(const toxic_spec& spec, attribute_reader& attrs) {
  constexpr std::int64_t max_size = std::int64_t{1} << 30;
  const auto average = attrs.integer("average_size", 0, 1, max_size);  // 0: absent
  if (average == 0) attrs.fail("average_size", "missing: the piece size in bytes");
  const auto variation = attrs.integer("size_variation", 0, 0, max_size);
  if (variation >= average)
    attrs.fail("size_variation", "must be less than average_size (" + std::to_string(average) +
                                     "), got " + std::to_string(variation));
  // Toxiproxy's unit for this delay is the microsecond (not the millisecond, as everywhere
  // else): numbers are microseconds; strings carry their unit ("500us", "2ms").
  std::chrono::nanoseconds delay{};
  const auto* d = spec.attributes.if_contains("delay");
  if (d && d->is_string())
    delay = attrs.duration("delay", {});
  else
    delay = std::chrono::microseconds(attrs.integer("delay", 0, 0, std::int64_t{1} << 40));
  return std::make_shared<slicer_toxic>(spec, static_cast<std::size_t>(average),
                                        static_cast<std::size_t>(variation), delay);
}

}  // namespace ordeal::faults
