#include <string>
#include <utility>

#include "toxic_types.hpp"

namespace ordeal::faults {

namespace {

// Type name -> builder. Keep sorted by name (the error message lists them in this order).
constexpr std::pair<std::string_view, toxic_builder> builders[] = {
    {"bandwidth", build_bandwidth},
    {"down", build_down},
    {"drop", build_drop},
    {"half_open", build_half_open},
    {"http", build_http},
    {"latency", build_latency},
    {"limit_data", build_limit_data},
    {"noop", build_noop},
    {"reset_peer", build_reset_peer},
    {"slicer", build_slicer},
    {"slow_close", build_slow_close},
    {"timeout", build_timeout},
};

}  // namespace

std::shared_ptr<const toxic> build_toxic(const toxic_spec& spec, std::string_view where,
                                         std::string_view attributes_where) {
  for (const auto& [name, build] : builders) {
    if (name != spec.type) continue;
    attribute_reader attrs(spec.attributes, std::string(attributes_where));
    auto t = build(spec, attrs);
    attrs.finish();
    return t;
  }
  std::string known;
  for (const auto& [name, build] : builders)
    known += (known.empty() ? "" : ", ") + std::string(name);
  throw spec_error(
      400, std::string(where) + ".type: unknown toxic \"" + spec.type + "\"; known: " + known);
}

}  // namespace ordeal::faults
