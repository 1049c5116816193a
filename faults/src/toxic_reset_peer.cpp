#include <optional>

#include "stage_timer.hpp"
#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Resets the connection (RST to both sides: "connection reset by peer") `timeout` after the
// toxic starts acting on it, 0 at once. Toxicity per connection: the clock starts at connect
// (or when the toxic is added) and data flows until the reset. Per chunk: a chunk drawn is held
// for `timeout`, then dropped with the reset (as toxiproxy's, which resets on data).
class reset_peer_toxic final : public toxic {
 public:
  reset_peer_toxic(const toxic_spec& spec, std::chrono::nanoseconds timeout)
      : toxic(spec), timeout_(timeout) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const reset_peer_toxic& t) : t_(t) {}

    void start(stage_context& ctx) override {
      started_ = true;
      if (t_.timeout_.count() == 0) {
        ctx.reset_connection();
        return;
      }
      timer_.emplace(ctx.executor());
      timer_->start(clock::now() + t_.timeout_, [&ctx] {
        if (ctx.live()) ctx.reset_connection();
      });
    }

    boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
      // Per connection, data flows until the clock runs out. Per chunk, this chunk brings the
      // reset on, unless the toxic is removed meanwhile. (Never `if (co_await ...)`: GCC 12
      // miscompiles a co_await in a condition.)
      bool pass = started_;
      if (!pass) {
        const bool reset = co_await ctx.sleep_until(clock::now() + t_.timeout_);
        if (reset) ctx.reset_connection();
        pass = !reset;
      }
      if (pass) co_await ctx.forward(c);
    }

   private:
    const reset_peer_toxic& t_;
    bool started_ = false;
    std::optional<stage_timer> timer_;
  };

  std::chrono::nanoseconds timeout_;
};

}  // namespace

std::shared_ptr<const toxic> build_reset_peer(const toxic_spec& spec, attribute_reader& attrs) {
  return std::make_shared<reset_peer_toxic>(spec, attrs.duration("timeout", {}));
}

}  // namespace ordeal::faults
