#pragma once

#include "link.hpp"
#include "toxic.hpp"

// Every toxic type's builder, each defined in its own file (toxic_<type>.cpp) and listed in
// toxics.cpp. A builder reads (and so validates) every attribute before returning.
namespace ordeal::faults {

std::shared_ptr<const toxic> build_noop(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_latency(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_down(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_bandwidth(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_slow_close(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_timeout(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_reset_peer(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_slicer(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_limit_data(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_drop(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_half_open(const toxic_spec& spec, attribute_reader& attrs);
std::shared_ptr<const toxic> build_http(const toxic_spec& spec, attribute_reader& attrs);

}  // namespace ordeal::faults
