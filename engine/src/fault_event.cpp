#include "ordeal/engine/fault_event.hpp"

namespace ordeal::engine {

std::string_view to_string(fault_event::kind k) noexcept {
  switch (k) {
    case fault_event::kind::start:
      return "start";
    case fault_event::kind::stop:
      return "stop";
    case fault_event::kind::hit:
      return "hit";
  }
  return "unknown";
}

}  // namespace ordeal::engine
