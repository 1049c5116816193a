#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Passes everything on untouched: heads every chain in toxiproxy, here a test and
// benchmark aid (the cost of one stage).
class noop_toxic final : public toxic {
 public:
  using toxic::toxic;

 protected:
  std::unique_ptr<toxic_stage> make_stage() const override {
    return std::make_unique<toxic_stage>();
  }
};

}  // namespace

std::shared_ptr<const toxic> build_noop(const toxic_spec& spec, attribute_reader&) {
  return std::make_shared<noop_toxic>(spec);
}

}  // namespace ordeal::faults
