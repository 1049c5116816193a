// The HTML report's chart primitives: well-formed SVG, escaped labels, downsampling.
#include "ordeal/reporters/svg_chart.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "markup_check.hpp"
#include "xml_check.hpp"

namespace {

namespace svg = ordeal::reporters::svg;
using Catch::Matchers::Contains;
using ordeal::reporters::test::markup_problem;

constexpr double no_data = std::numeric_limits<double>::quiet_NaN();

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

svg::line_chart chart(std::size_t seconds) {
  svg::line_chart c;
  c.title = "latency";
  svg::series s{"p99", "#e15759", {}, svg::merge::max};
  for (std::size_t i = 0; i < seconds; ++i)
    s.values.push_back(static_cast<double>(i % 100));
  c.lines.push_back(std::move(s));
  return c;
}

}  // namespace

TEST_CASE("svg: escape", "[reporters][html]") {
  CHECK(svg::escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(svg::escape("plain /pay/{id}") == "plain /pay/{id}");
  CHECK(svg::escape(std::string("x\x01y", 3)) == "x\xEF\xBF\xBDy");  // not allowed in XML
  CHECK(svg::escape("") == "");
}

TEST_CASE("svg: downsample keeps peaks (max) or averages (mean)", "[reporters][html]") {
  std::vector<double> v{1, 9, 2, 2, 3, 5, 7};
  std::size_t bucket = 0;
  CHECK(svg::downsample(v, 10, svg::merge::max, bucket) == v);
  CHECK(bucket == 1);
  CHECK(svg::downsample(v, 3, svg::merge::max, bucket) == std::vector<double>{9, 5, 7});
  CHECK(bucket == 3);
  CHECK(svg::downsample(v, 3, svg::merge::mean, bucket) == std::vector<double>{4, 10.0 / 3, 7});
  // NaN is "no data": skipped, and a bucket of NaN only stays NaN.
  const auto gaps = svg::downsample({no_data, 4, no_data, no_data}, 2, svg::merge::mean, bucket);
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0] == 4);
  CHECK(std::isnan(gaps[1]));
  CHECK(svg::downsample({}, 5, svg::merge::mean, bucket).empty());
}

TEST_CASE("svg: time axis labels", "[reporters][html]") {
  CHECK(svg::format_seconds(0) == "0s");
  CHECK(svg::format_seconds(45) == "45s");
  CHECK(svg::format_seconds(120) == "2m");
  CHECK(svg::format_seconds(150) == "2m30s");
  CHECK(svg::format_seconds(3900) == "1h05m");
}

TEST_CASE("svg: a line chart is well formed, with its windows and legend", "[reporters][html]") {
  auto c = chart(60);
  c.windows.push_back({10, 20, "db/latency (latency)"});
  c.windows.push_back({30, 30, "db/down"});  // zero width: still visible
  const auto s = svg::render(c);
  INFO(s);
  CHECK(markup_problem(s).empty());
  // SVG is XML: a strict parser takes it, and the root is an svg element.
  CHECK(ordeal::test::parse_xml(s).name == "svg");
  CHECK(s.starts_with("<svg "));
  CHECK_THAT(s, Contains("db/latency (latency)"));
  CHECK(occurrences(s, "class=\"fault-window\"") == 2);
  CHECK_THAT(s, Contains(">p99<"));
  CHECK_THAT(s, Contains(">faults<"));
  CHECK(occurrences(s, "<path ") == 1);
}

TEST_CASE("svg: hostile labels are escaped", "[reporters][html]") {
  auto c = chart(5);
  c.title = "<script>alert(1)</script>";
  c.lines[0].name = "\"><script>x</script>";
  c.lines[0].color = "red\" onload=\"alert(1)";
  c.windows.push_back({1, 2, "<img src=x onerror=alert(1)>"});
  const auto s = svg::render(c);
  INFO(s);
  CHECK(markup_problem(s).empty());
  CHECK_NOTHROW(ordeal::test::parse_xml(s));
  CHECK(s.find("<script") == std::string::npos);
  CHECK(s.find("<img") == std::string::npos);
  CHECK(s.find("onload=\"") == std::string::npos);
  CHECK_THAT(s, Contains("&lt;script&gt;"));
}

TEST_CASE("svg: an empty chart says so", "[reporters][html]") {
  svg::line_chart c;
  c.title = "nothing";
  c.lines.push_back({"p50", "#000", {}, svg::merge::mean});
  auto s = svg::render(c);
  CHECK(markup_problem(s).empty());
  CHECK_THAT(s, Contains("no data"));

  svg::bar_chart b;
  b.title = "histogram";
  s = svg::render(b);
  CHECK(markup_problem(s).empty());
  CHECK_THAT(s, Contains("no data"));
}

TEST_CASE("svg: a one-second chart draws its single point", "[reporters][html]") {
  const auto s = svg::render(chart(1));
  CHECK(markup_problem(s).empty());
  CHECK_THAT(s, Contains("<circle "));
}

TEST_CASE("svg: gaps break the line", "[reporters][html]") {
  svg::line_chart c;
  c.lines.push_back({"p99", "#000", {1, 2, no_data, 3, 4}, svg::merge::max});
  const auto s = svg::render(c);
  CHECK(markup_problem(s).empty());
  // Two runs of points: two "M" (move) commands in one path.
  const auto d = s.substr(s.find("<path d=\""));
  CHECK(occurrences(d.substr(0, d.find('>')), "M") == 2);
}

TEST_CASE("svg: a long series is downsampled, so the chart stays small", "[reporters][html]") {
  const auto small = svg::render(chart(400));
  const auto huge = svg::render(chart(100'000));  // 28 hours
  CHECK(markup_problem(huge).empty());
  CHECK_NOTHROW(ordeal::test::parse_xml(huge));
  CHECK(huge.size() < 2 * small.size());
  CHECK(huge.size() < 40'000);
  CHECK(occurrences(huge, " L") < 500);
  CHECK_THAT(huge, Contains(">100<"));  // the peak (99) survives the max merge: the axis reaches it
}

TEST_CASE("svg: a bar chart labels some bars, titles all", "[reporters][html]") {
  svg::bar_chart b;
  b.title = "latency";
  for (int i = 0; i < 40; ++i)
    b.bars.push_back(
        {std::to_string(i) + "ms", static_cast<double>(i), "bar " + std::to_string(i)});
  const auto s = svg::render(b);
  CHECK(markup_problem(s).empty());
  CHECK(occurrences(s, "<title>bar ") == 40);
  CHECK(occurrences(s, "ms</text>") <= 14);
}
