#pragma once

// Chart primitives for the HTML report: inline SVG, drawn by ordeal, no script and no network.
// Data-agnostic: they know values, colours and labels, not runs or histograms.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ordeal::reporters::svg {

// `text` safe in HTML/XML text and in quoted attribute values: xml_escape (xml_escape.hpp).
std::string escape(std::string_view text);

// How a run of values merges into one point when a long series is downsampled.
enum class merge : std::uint8_t {
  mean,  // rates (requests per second): the bucket's average
  max,   // peaks (p99): a spike must survive the downsampling
};

// Merges consecutive values into at most `max_points` points of `bucket` values each (the last
// one may hold fewer). NaN means "no data" and is skipped; a bucket of NaN only is NaN.
std::vector<double> downsample(const std::vector<double>& values, std::size_t max_points, merge how,
                               std::size_t& bucket);

// One line of a line chart: a value per x step (NaN: a gap in the line).
struct series {
  std::string name;
  std::string color;  // CSS colour, e.g. "#1f77b4"
  std::vector<double> values;
  merge downsample = merge::mean;
};

// A shaded range of the x axis (a fault's window), labelled.
struct window {
  double from_s = 0;
  double to_s = 0;
  std::string label;
};

struct line_chart {
  std::string title;
  std::string y_label;
  std::function<std::string(double)> format_y;  // tick labels; plain numbers when empty
  std::vector<series> lines;
  std::vector<window> windows;
  double step_s = 1;  // seconds between two values
  int width = 960;
  int height = 300;
  std::size_t max_points = 480;  // per line: longer series are downsampled
};

// <svg ...>...</svg>. An empty chart (no values) still renders, saying "no data".
std::string render(const line_chart& c);

struct bar {
  std::string label;    // under the bar (shown for some bars when there are many)
  double value = 0;     // height
  std::string tooltip;  // <title> of the bar
};

struct bar_chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::function<std::string(double)> format_y;
  std::string color = "#4e79a7";
  std::vector<bar> bars;
  int width = 960;
  int height = 300;
};

std::string render(const bar_chart& c);

// "0s", "45s", "2m", "2m30s", "1h05m": an axis label for a time in seconds.
std::string format_seconds(double s);

}  // namespace ordeal::reporters::svg
