#include "ordeal/reporters/integrity.hpp"

namespace ordeal::reporters {

std::vector<verdict> integrity_verdicts(const engine::integrity_record& r) {
  std::vector<verdict> out;
  out.reserve(r.checkers.size());
  for (const auto& c : r.checkers) {
    switch (c.type) {
      case engine::integrity_type::set:
        out.push_back(check_set(c));
        break;
      case engine::integrity_type::counter:
        out.push_back(check_counter(c));
        break;
      case engine::integrity_type::bank:
        out.push_back(check_bank(c));
        break;
      case engine::integrity_type::unique:
        out.push_back(check_unique(c));
        break;
      case engine::integrity_type::invariant:
        out.push_back(check_invariant(c));
        break;
    }
  }
  return out;
}

}  // namespace ordeal::reporters
