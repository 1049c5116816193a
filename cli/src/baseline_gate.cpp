#include "baseline_gate.hpp"

#include "ordeal/engine/config_error.hpp"

namespace ordeal::cli {

baseline_gate::baseline_gate(const std::string& path,
                             const std::vector<std::string>& max_regressions)
    : path_(path) {
  if (path_.empty()) {
    if (!max_regressions.empty())
      throw engine::config_error("--max-regression needs --baseline FILE to compare with");
    return;
  }
  limits_ = max_regressions.empty() ? reporters::default_regression_limits()
                                    : reporters::parse_max_regressions(max_regressions);
  baseline_ = reporters::load_result(path_);
  reporters::check_figures(baseline_, limits_, "baseline \"" + path_ + "\"");
}

reporters::comparison baseline_gate::compare(const boost::json::object& result) const {
  return reporters::compare_results(baseline_, result, limits_, path_, "this run");
}

}  // namespace ordeal::cli
