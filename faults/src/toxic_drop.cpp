#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Ends the connection where it applies: FIN to both sides, or RST with `reset`. With toxicity
// per connection a fraction of the connections is dropped as soon as it is relayed (the client
// sees its connection accepted, then closed); per chunk, each chunk drawn is dropped together
// with its connection, so a fraction of the chunks ends a stream mid-way. Not in toxiproxy.
class drop_toxic final : public toxic {
 public:
  drop_toxic(const toxic_spec& spec, bool reset) : toxic(spec), reset_(reset) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const drop_toxic& t) : t_(t) {}
    void start(stage_context& ctx) override { drop(ctx); }
    boost::asio::awaitable<void> on_data(chunk_view, stage_context& ctx) override {
      drop(ctx);
      co_return;
    }

   private:
    void drop(stage_context& ctx) const {
      if (t_.reset_)
        ctx.reset_connection();
      else
        ctx.close_connection();
    }
    const drop_toxic& t_;
  };

  bool reset_;
};

}  // namespace

std::shared_ptr<const toxic> build_drop(const toxic_spec& spec, attribute_reader& attrs) {
  return std::make_shared<drop_toxic>(spec, attrs.boolean("reset", false));
}

}  // namespace ordeal::faults
