#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// The proxy is down while this toxic is present: its listener is closed (clients get
// connection refused) and its open connections are closed. Toxiproxy has this as the proxy's
// "enabled" flag; as a toxic it can sit on a fault timeline like any other.
class down_toxic final : public toxic {
 public:
  using toxic::toxic;
  bool disables_proxy() const noexcept override { return true; }
  std::unique_ptr<toxic_stage> make_stage(stream_direction) const override { return nullptr; }
};

}  // namespace

std::shared_ptr<const toxic> build_down(const toxic_spec& spec, attribute_reader&) {
  return std::make_shared<down_toxic>(spec);
}

}  // namespace ordeal::faults
