#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "ordeal/reporters/compare.hpp"

namespace ordeal::cli {

// `ordeal run ... --baseline FILE [--max-regression METRIC=TOLERANCE ...]`: the baseline file,
// its schema and every gated metric are checked before the run (a typo fails in a second, not
// after the load); after the run, this run's result is compared with it.
class baseline_gate {
 public:
  // `path` empty: no gate (then --max-regression is refused: it would silently do nothing).
  // Without --max-regression, reporters::default_regression_limits(). Throws config_error.
  baseline_gate(const std::string& path, const std::vector<std::string>& max_regressions);

  bool enabled() const noexcept { return !path_.empty(); }
  // `result`: this run's ordeal.result/1 object.
  reporters::comparison compare(const boost::json::object& result) const;

 private:
  std::string path_;
  boost::json::object baseline_;
  std::vector<reporters::regression_limit> limits_;
};

}  // namespace ordeal::cli
