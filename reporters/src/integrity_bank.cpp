#include "integrity_common.hpp"
#include "ordeal/reporters/integrity.hpp"

namespace ordeal::reporters {

using namespace detail;

verdict check_bank(const engine::integrity_checker& c) {
  verdict v = start_verdict(c);
  boost::json::object e;
  e["checker"] = c.name;
  e["type"] = "bank";
  e["reads"] = reads_summary(c);
  // The operations scripts recorded (transfers) go to the history export; the verdict rests on
  // the reads: a read that breaks the invariant (a total that changed) is a violation whenever
  // it happened.
  e["transfers"] = c.ops.size();
  judge_checks(c, v, e, true);
  v.evidence = std::move(e);
  return v;
}

}  // namespace ordeal::reporters
