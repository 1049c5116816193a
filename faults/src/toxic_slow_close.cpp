#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Holds the close (FIN) of its direction for `delay` before passing it on; data passes
// untouched. The peer sees every byte on time, then waits for the end of the stream.
class slow_close_toxic final : public toxic {
 public:
  slow_close_toxic(const toxic_spec& spec, std::chrono::nanoseconds delay)
      : toxic(spec), delay_(delay) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const slow_close_toxic& t) : t_(t) {}
    boost::asio::awaitable<void> on_end(stage_context& ctx) override {
      // Cut short (toxic removed, connection closing): the close goes on at once.
      co_await ctx.sleep_until(clock::now() + t_.delay_);
      co_await ctx.forward_end();
    }

   private:
    const slow_close_toxic& t_;
  };

  std::chrono::nanoseconds delay_;
};

}  // namespace

std::shared_ptr<const toxic> build_slow_close(const toxic_spec& spec, attribute_reader& attrs) {
  return std::make_shared<slow_close_toxic>(spec, attrs.duration("delay", {}));
}

}  // namespace ordeal::faults
