#include "integrity_common.hpp"
#include "ordeal/reporters/integrity.hpp"

namespace ordeal::reporters {

using namespace detail;

verdict check_invariant(const engine::integrity_checker& c) {
  verdict v = start_verdict(c);
  boost::json::object e;
  e["checker"] = c.name;
  e["type"] = "invariant";
  e["reads"] = reads_summary(c);
  judge_checks(c, v, e, false);
  v.evidence = std::move(e);
  return v;
}

}  // namespace ordeal::reporters
