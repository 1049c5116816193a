#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Stops its direction dead: every byte is dropped and the close (FIN) is swallowed, while the
// connection and the other direction stay open. The receiver waits for data that never comes
// and never learns the sender is done: a half-open connection, as after a silent peer or a lost
// route. The link holds a swallowed FIN and passes it on once the toxic is gone; the bytes
// dropped meanwhile stay lost. Unlike the timeout toxic, the close is held too. Not in
// toxiproxy.
class half_open_toxic final : public toxic {
 public:
  using toxic::toxic;

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override { return std::make_unique<stage>(); }

 private:
  class stage final : public toxic_stage {
   public:
    boost::asio::awaitable<void> on_data(chunk_view, stage_context&) override { co_return; }
    boost::asio::awaitable<void> on_end(stage_context&) override { co_return; }
  };
};

}  // namespace

std::shared_ptr<const toxic> build_half_open(const toxic_spec& spec, attribute_reader&) {
  return std::make_shared<half_open_toxic>(spec);
}

}  // namespace ordeal::faults
