#include "ordeal/reporters/verdict_report.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <iomanip>

namespace ordeal::reporters {

namespace json = boost::json;

namespace {

// A failure shows its first reasons; the rest are in the JSON result.
constexpr std::size_t reasons_shown = 3;
// Names longer than this do not push every "measured" column to the right.
constexpr std::size_t max_name_column = 48;
// Failed verdicts named in the closing line.
constexpr std::size_t names_in_exit_line = 3;

std::string what_failed(int exit_code) {
  switch (exit_code) {
    case 97:
      return "idempotency violated";
    case 98:
      return "data integrity violated";
    case 99:
      return "a threshold failed";
    default:
      return "";
  }
}

verdict_kind kind_for(int exit_code) {
  if (exit_code == 98) return verdict_kind::integrity;
  if (exit_code == 97) return verdict_kind::idempotency;
  return verdict_kind::threshold;
}

}  // namespace

std::string exit_code_line(const std::vector<verdict>& vs, int exit_code) {
  const auto failed = static_cast<std::size_t>(
      std::count_if(vs.begin(), vs.end(), [](const verdict& v) { return !v.passed; }));
  const std::string of = std::to_string(failed) + " of " + std::to_string(vs.size()) + " verdicts";
  std::string line = "exit code " + std::to_string(exit_code) + ": ";
  switch (exit_code) {
    case 0:
      return line + (vs.empty() ? "no verdicts to judge (no thresholds or checkers declared)"
                                : "all " + std::to_string(vs.size()) + " verdicts passed");
    case 105:
      return line + "stopped by a signal: partial results (" + of + " failed)";
    case 108:
      return line + "aborted by an abort condition (" + of + " failed)";
    case 97:
    case 98:
    case 99: {
      // The verdicts of the kind that decided the code, by name.
      const bool thresholds = std::any_of(vs.begin(), vs.end(), [](const verdict& v) {
        return !v.passed && v.kind == verdict_kind::threshold;
      });
      line += (exit_code != 99 || thresholds
                   ? what_failed(exit_code)
                   : std::string("the drill's steady state or an action failed")) +
              ": ";
      std::size_t named = 0;
      for (const auto& v : vs) {
        if (v.passed ||
            !(v.kind == kind_for(exit_code) || (exit_code == 99 && v.kind == verdict_kind::drill)))
          continue;
        if (named == names_in_exit_line) {
          line += ", ...";
          break;
        }
        line += (named++ ? ", " : "") + v.name;
      }
      return line + " (" + of + " failed)";
    }
    default:
      return line + of + " failed";
  }
}

void write_verdicts(std::ostream& out, const std::vector<verdict>& vs, int exit_code) {
  out << "\nverdicts\n";
  std::size_t width = 0;
  for (const auto& v : vs)
    width = std::max(width, std::min(v.name.size(), max_name_column));
  for (const auto& v : vs) {
    out << "  " << (v.passed ? "PASS" : "FAIL") << "  " << v.name;
    if (!v.measured.empty()) {
      if (v.name.size() < width) out << std::string(width - v.name.size(), ' ');
      out << "  measured " << v.measured;
    }
    out << '\n';
    if (v.passed) continue;
    for (std::size_t i = 0; i < v.reasons.size() && i < reasons_shown; ++i)
      out << "        " << v.reasons[i] << '\n';
    if (v.reasons.size() > reasons_shown)
      out << "        ... and " << v.reasons.size() - reasons_shown
          << " more (all in the JSON result)\n";
  }
  out << "  " << exit_code_line(vs, exit_code) << '\n';
}

json::array verdicts_json(const std::vector<verdict>& vs) {
  json::array a;
  a.reserve(vs.size());
  for (const auto& v : vs) {
    json::object o;
    o["kind"] = to_string(v.kind);
    o["name"] = v.name;
    o["passed"] = v.passed;
    o["measured"] = v.measured;
    json::array reasons;
    for (const auto& r : v.reasons)
      reasons.emplace_back(r);
    o["reasons"] = std::move(reasons);
    o["evidence"] = v.evidence;
    a.push_back(std::move(o));
  }
  return a;
}

json::array thresholds_json(const std::vector<verdict>& vs) {
  json::array a;
  for (const auto& v : vs) {
    if (v.kind != verdict_kind::threshold) continue;
    json::object o;
    o["expr"] = v.name;
    o["passed"] = v.passed;
    o["measured"] = v.measured;
    const json::object* e = v.evidence.if_object();
    const json::value* value = e ? e->if_contains("value") : nullptr;
    const json::value* unit = e ? e->if_contains("unit") : nullptr;
    o["value"] = value && value->is_number() ? *value : json::value(nullptr);
    o["unit"] = unit && unit->is_string() ? *unit : json::value("");
    a.push_back(std::move(o));
  }
  return a;
}

}  // namespace ordeal::reporters
