#include <algorithm>

#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Passes the first `bytes` bytes of its direction, then closes the connection (FIN both
// sides): the peer gets exactly that many bytes, then the end. Counted per connection and
// direction, from when the toxic starts acting on it.
class limit_data_toxic final : public toxic {
 public:
  limit_data_toxic(const toxic_spec& spec, std::uint64_t bytes) : toxic(spec), bytes_(bytes) {}

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<stage>(*this);
  }

 private:
  class stage final : public toxic_stage {
   public:
    explicit stage(const limit_data_toxic& t) : t_(t) {}
    boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx) override {
      const std::uint64_t left = t_.bytes_ - std::min(passed_, t_.bytes_);
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, c.size));
      if (n > 0) {
        passed_ += n;
        // Written out before the close: the kernel sends it ahead of the FIN.
        co_await ctx.forward(c.sub(0, n));
      }
      if (passed_ >= t_.bytes_) ctx.close_connection();
    }

   private:
    const limit_data_toxic& t_;
    std::uint64_t passed_ = 0;
  };

  std::uint64_t bytes_;
};

}  // namespace

std::shared_ptr<const toxic> build_limit_data(const toxic_spec& spec, attribute_reader& attrs) {
  const auto bytes = attrs.integer("bytes", -1, 0, std::int64_t{1} << 53);  // -1: absent
  if (bytes < 0) attrs.fail("bytes", "missing: how many bytes pass");
  return std::make_shared<limit_data_toxic>(spec, static_cast<std::uint64_t>(bytes));
}

}  // namespace ordeal::faults
