#include "ordeal/reporters/junit_report.hpp"

#include <algorithm>
#include <cstdio>

#include "ordeal/reporters/xml_escape.hpp"

namespace ordeal::reporters {

namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s >= 0 ? s : 0.0);
  return buf;
}

// xs:dateTime without a zone, as the JUnit schema (and Jenkins) reads it.
std::string junit_timestamp(std::string_view iso) {
  if (!iso.empty() && iso.back() == 'Z') iso.remove_suffix(1);
  return std::string(iso);
}

struct testcase {
  std::string name;
  bool passed = true;
  std::string message;  // the failure's one line
  std::string detail;   // the failure's text, or what a passed one measured
};

struct suite {
  std::string_view name;
  std::vector<testcase> cases;
};

std::string join(const std::vector<std::string>& lines, std::string_view sep) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += sep;
    out += l;
  }
  return out;
}

testcase from_verdict(const verdict& v) {
  testcase t;
  t.name = v.name;
  t.passed = v.passed;
  if (v.passed) {
    if (!v.measured.empty()) t.detail = "measured " + v.measured;
    return t;
  }
  // The message is one line a CI summary shows: the first reasons; the text has them all.
  std::vector<std::string> first(v.reasons.begin(),
                                 v.reasons.begin() + std::min<std::size_t>(v.reasons.size(), 3));
  if (v.reasons.size() > first.size())
    first.push_back("and " + std::to_string(v.reasons.size() - first.size()) + " more");
  t.message = v.reasons.empty() ? "failed: measured " + v.measured : join(first, "; ");
  t.detail = join(v.reasons, "\n");
  if (!v.measured.empty()) t.detail += (t.detail.empty() ? "" : "\n") + ("measured " + v.measured);
  return t;
}

void write_suite(std::ostream& out, const suite& s, const junit_run& run) {
  std::size_t failures = 0;
  for (const auto& c : s.cases)
    failures += c.passed ? 0 : 1;
  out << "  <testsuite name=\"" << xml_escape(s.name) << "\" tests=\"" << s.cases.size()
      << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"0\" time=\""
      << seconds(run.time_s) << '"';
  if (!run.started_at.empty())
    out << " timestamp=\"" << xml_escape(junit_timestamp(run.started_at)) << '"';
  out << ">\n";
  const std::string classname = xml_escape("ordeal." + std::string(s.name));
  for (const auto& c : s.cases) {
    out << "    <testcase name=\"" << xml_escape(c.name) << "\" classname=\"" << classname
        << "\" time=\"0.000\"";
    if (c.passed && c.detail.empty()) {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (!c.passed)
      out << "      <failure message=\"" << xml_escape(c.message) << "\" type=\"" << s.name << "\">"
          << xml_escape(c.detail) << "</failure>\n";
    else
      out << "      <system-out>" << xml_escape(c.detail) << "</system-out>\n";
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n";
}

}  // namespace

void write_junit(std::ostream& out, const std::vector<verdict>& vs, const check_counts& checks,
                 const junit_run& run) {
  suite suites[] = {
      {"thresholds", {}}, {"checks", {}}, {"idempotency", {}}, {"integrity", {}}, {"drill", {}}};
  for (const auto& v : vs) {
    auto& s = v.kind == verdict_kind::threshold     ? suites[0]
              : v.kind == verdict_kind::idempotency ? suites[2]
              : v.kind == verdict_kind::drill       ? suites[4]
                                                    : suites[3];
    s.cases.push_back(from_verdict(v));
  }
  for (const auto& [name, counts] : checks) {
    const auto [passes, fails] = counts;
    testcase t;
    t.name = name;
    t.passed = fails == 0;
    const std::string total = std::to_string(passes + fails);
    if (t.passed) {
      t.detail = total + " of " + total + " passed";
    } else {
      t.message = std::to_string(fails) + " of " + total + " failed";
      t.detail = t.message + " (" + std::to_string(passes) + " passed)";
    }
    suites[1].cases.push_back(std::move(t));
  }
  std::size_t tests = 0, failures = 0;
  for (const auto& s : suites)
    for (const auto& c : s.cases) {
      ++tests;
      failures += c.passed ? 0 : 1;
    }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << xml_escape(run.name) << "\" tests=\"" << tests << "\" failures=\""
      << failures << "\" errors=\"0\" time=\"" << seconds(run.time_s) << "\">\n";
  bool any = false;
  for (const auto& s : suites) {
    if (s.cases.empty()) continue;
    write_suite(out, s, run);
    any = true;
  }
  // A run without a single verdict still gives consumers a well-formed, empty suite.
  if (!any) write_suite(out, suites[0], run);
  out << "</testsuites>\n";
}

}  // namespace ordeal::reporters
