#include <optional>

#include "stage_timer.hpp"
#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// A black hole: drops every byte of its direction; with `timeout` > 0 the connection is closed
// (FIN both sides) that long after the toxic starts acting on it, with 0 it stays open, silent,
// until a side gives up. The close of the stream (FIN) still passes, as toxiproxy's.
//
// Toxicity per connection: the clock starts at connect (or when the toxic is added). Per
// chunk: the chunks drawn are dropped, and the first of them starts the clock.
//
// Removing the toxic lets later bytes through again, but the ones it dropped are gone: the
// stream the peer sees has a hole (toxiproxy closes the connection instead).
class timeout_toxic final : public toxic {
 public:
  timeout_toxic(const toxic_spec& spec, std::chrono::nanoseconds timeout)
      : toxic(spec), timeout_(timeout) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const timeout_toxic& t) : t_(t) {}
    void start(stage_context& ctx) override { arm(ctx); }
    boost::asio::awaitable<void> on_data(chunk_view, stage_context& ctx) override {
      arm(ctx);  // per chunk: the first chunk drawn starts the clock
      co_return;
    }

   private:
    void arm(stage_context& ctx) {
      if (timer_ || t_.timeout_.count() == 0) return;
      timer_.emplace(ctx.executor());
      timer_->start(clock::now() + t_.timeout_, [&ctx] {
        if (ctx.live()) ctx.close_connection();
      });
    }

    const timeout_toxic& t_;
    std::optional<stage_timer> timer_;
  };

  std::chrono::nanoseconds timeout_;
};

}  // namespace

std::shared_ptr<const toxic> build_timeout(const toxic_spec& spec, attribute_reader& attrs) {
  return std::make_shared<timeout_toxic>(spec, attrs.duration("timeout", {}));
}

}  // namespace ordeal::faults
