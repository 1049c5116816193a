#include "planted_bugs.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace ordeal::planted {
namespace {

using switch_ptr = bool bug_set::*;

constexpr std::array<std::pair<std::string_view, switch_ptr>, 4> known_bugs{{
    {"ignore_idempotency_key", &bug_set::ignore_idempotency_key},
    {"lost_update", &bug_set::lost_update},
    {"unstored_writes", &bug_set::unstored_writes},
    {"slow_path", &bug_set::slow_path},
}};

std::string known_names() {
  std::string names;
  for (const auto& [name, _] : known_bugs)
    names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

}  // namespace

bug_set parse_bugs(std::string_view list) {
  bug_set bugs;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (name.empty()) continue;
    bool found = false;
    for (const auto& [known, flag] : known_bugs) {
      if (name != known) continue;
      bugs.*flag = true;
      found = true;
    }
    if (!found) {
      throw std::invalid_argument("unknown bug \"" + std::string(name) +
                                  "\" (known: " + known_names() + ")");
    }
  }
  return bugs;
}

std::string to_string(const bug_set& bugs) {
  std::string names;
  for (const auto& [name, flag] : known_bugs)
    if (bugs.*flag) names += (names.empty() ? "" : ",") + std::string(name);
  return names.empty() ? "none" : names;
}

}  // namespace ordeal::planted
