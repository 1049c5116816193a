#include "ordeal/reporters/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "ordeal/reporters/xml_escape.hpp"

namespace ordeal::reporters::svg {

namespace {

// The plot area inside the chart: room for the title and legend above, the axes' labels
// left and below.
struct frame {
  double left = 72;
  double right;
  double top = 44;
  double bottom;
  frame(int width, int height) : right(width - 16.0), bottom(height - 42.0) {}
  double w() const { return right - left; }
  double h() const { return bottom - top; }
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string plain(double v) {
  char buf[32];
  if (std::fabs(v) >= 100 || v == std::floor(v))
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

// 1, 2 or 5 times a power of ten: at least range / ticks.
double nice_step(double range, int ticks) {
  if (!(range > 0)) return 1;
  const double raw = range / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  return step * magnitude;
}

// A step for time ticks that reads well: whole seconds, minutes, hours.
double time_step(double range_s, int ticks) {
  static constexpr double steps[] = {1,   2,   5,    10,   15,   30,    60,    120,   300,
                                     600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
  for (const double s : steps)
    if (range_s / s <= ticks) return s;
  return nice_step(range_s, ticks);
}

std::string open_svg(int width, int height, const std::string& title) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" +
                  std::to_string(width) + "\" height=\"" + std::to_string(height) +
                  "\" viewBox=\"0 0 " + std::to_string(width) + ' ' + std::to_string(height) +
                  "\" role=\"img\" aria-label=\"" + escape(title) + "\">";
  s += "<title>" + escape(title) + "</title>";
  s += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(width) + "\" height=\"" +
       std::to_string(height) + "\" fill=\"#ffffff\"/>";
  s += "<text x=\"8\" y=\"20\" font-size=\"15\" font-weight=\"bold\" fill=\"#222\">" +
       escape(title) + "</text>";
  return s;
}

std::string no_data(const frame& f) {
  return "<text x=\"" + num((f.left + f.right) / 2) + "\" y=\"" + num((f.top + f.bottom) / 2) +
         "\" font-size=\"14\" fill=\"#888\" text-anchor=\"middle\">no data</text>";
}

// Horizontal grid lines and their labels, from 0 to `top`.
std::string y_axis(const frame& f, double top, double step,
                   const std::function<std::string(double)>& format, const std::string& label) {
  std::string s;
  for (double v = 0; v <= top * (1 + 1e-9); v += step) {
    const double y = f.bottom - v / top * f.h();
    s += "<line x1=\"" + num(f.left) + "\" x2=\"" + num(f.right) + "\" y1=\"" + num(y) +
         "\" y2=\"" + num(y) + "\" stroke=\"#e4e4e4\"/>";
    s += "<text x=\"" + num(f.left - 6) + "\" y=\"" + num(y + 4) +
         "\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">" +
         escape(format ? format(v) : plain(v)) + "</text>";
  }
  s += "<line x1=\"" + num(f.left) + "\" x2=\"" + num(f.left) + "\" y1=\"" + num(f.top) +
       "\" y2=\"" + num(f.bottom) + "\" stroke=\"#999\"/>";
  s += "<line x1=\"" + num(f.left) + "\" x2=\"" + num(f.right) + "\" y1=\"" + num(f.bottom) +
       "\" y2=\"" + num(f.bottom) + "\" stroke=\"#999\"/>";
  if (!label.empty())
    s += "<text x=\"14\" y=\"" + num((f.top + f.bottom) / 2) +
         "\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\" transform=\"rotate(-90 14 " +
         num((f.top + f.bottom) / 2) + ")\">" + escape(label) + "</text>";
  return s;
}

// The largest value that is not NaN, 0 when there is none.
double peak(const std::vector<double>& values) {
  double m = 0;
  for (const double v : values)
    if (!std::isnan(v)) m = std::max(m, v);
  return m;
}

// The top of the y axis: a tick at or above `max` (1 for an all-zero chart).
double axis_top(double max, double& step) {
  if (!(max > 0)) max = 1;
  step = nice_step(max, 5);
  return std::ceil(max / step * (1 - 1e-12)) * step;
}

}  // namespace

std::string escape(std::string_view text) {
  return xml_escape(text);
}

std::vector<double> downsample(const std::vector<double>& values, std::size_t max_points, merge how,
                               std::size_t& bucket) {
  max_points = std::max<std::size_t>(max_points, 1);
  bucket = std::max<std::size_t>(1, (values.size() + max_points - 1) / max_points);
  if (bucket == 1) return values;
  std::vector<double> out;
  out.reserve(values.size() / bucket + 1);
  for (std::size_t i = 0; i < values.size(); i += bucket) {
    const std::size_t end = std::min(values.size(), i + bucket);
    double acc = how == merge::max ? -std::numeric_limits<double>::infinity() : 0;
    std::size_t n = 0;
    for (std::size_t j = i; j < end; ++j) {
      if (std::isnan(values[j])) continue;
      acc = how == merge::max ? std::max(acc, values[j]) : acc + values[j];
      ++n;
    }
    if (n == 0)
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    else
      out.push_back(how == merge::max ? acc : acc / static_cast<double>(n));
  }
  return out;
}

std::string format_seconds(double s) {
  const auto t = static_cast<long long>(std::llround(s));
  char buf[32];
  if (t < 60)
    std::snprintf(buf, sizeof buf, "%llds", t);
  else if (t < 3600 && t % 60 == 0)
    std::snprintf(buf, sizeof buf, "%lldm", t / 60);
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, t % 3600 / 60);
  return buf;
}

std::string render(const line_chart& c) {
  const frame f(c.width, c.height);
  std::string s = open_svg(c.width, c.height, c.title);

  std::size_t count = 0;
  for (const auto& l : c.lines)
    count = std::max(count, l.values.size());
  const double span_s = std::max(1.0, static_cast<double>(count) * c.step_s);
  const auto x_of = [&](double t) { return f.left + std::clamp(t / span_s, 0.0, 1.0) * f.w(); };

  // Downsampled first: the axis must fit what is drawn (a max-merged p99 keeps its peak).
  std::vector<std::vector<double>> points;
  std::vector<std::size_t> buckets;
  double max = 0;
  for (const auto& l : c.lines) {
    std::size_t bucket = 1;
    points.push_back(downsample(l.values, c.max_points, l.downsample, bucket));
    buckets.push_back(bucket);
    max = std::max(max, peak(points.back()));
  }
  double step = 1;
  const double top = axis_top(max, step);

  // Fault windows under the lines, labelled at the top of the plot.
  for (std::size_t i = 0; i < c.windows.size(); ++i) {
    const auto& w = c.windows[i];
    const double x0 = x_of(w.from_s);
    const double x1 = std::max(x_of(w.to_s), x0 + 1.5);
    s += "<g class=\"fault-window\"><rect x=\"" + num(x0) + "\" y=\"" + num(f.top) + "\" width=\"" +
         num(x1 - x0) + "\" height=\"" + num(f.h()) +
         "\" fill=\"#d62728\" fill-opacity=\"0.12\" stroke=\"#d62728\" stroke-opacity=\"0.35\">" +
         "<title>" + escape(w.label) + " (" + escape(format_seconds(w.from_s)) + " - " +
         escape(format_seconds(w.to_s)) + ")</title></rect>";
    std::string label = w.label.size() > 40 ? w.label.substr(0, 39) + "..." : w.label;
    s += "<text x=\"" + num(x0 + 3) + "\" y=\"" +
         num(f.top + 12 + static_cast<double>(i % 3) * 12) +
         "\" font-size=\"10\" fill=\"#a01c1c\">" + escape(label) + "</text></g>";
  }

  s += y_axis(f, top, step, c.format_y, c.y_label);
  // Time ticks.
  const double tstep = time_step(span_s, 8);
  for (double t = 0; t <= span_s + 1e-9; t += tstep) {
    const double x = x_of(t);
    s += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(f.bottom) + "\" y2=\"" +
         num(f.bottom + 4) + "\" stroke=\"#999\"/>";
    s += "<text x=\"" + num(x) + "\" y=\"" + num(f.bottom + 16) +
         "\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">" + format_seconds(t) +
         "</text>";
  }
  s += "<text x=\"" + num((f.left + f.right) / 2) + "\" y=\"" + num(f.bottom + 34) +
       "\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">time since the load started" +
       "</text>";

  if (count == 0) {
    s += no_data(f);
  } else {
    for (std::size_t i = 0; i < c.lines.size(); ++i) {
      // A point stands for its bucket's middle: one second's value at the middle of the second.
      const double bucket_s = static_cast<double>(buckets[i]) * c.step_s;
      std::string d;
      bool pen_down = false;
      for (std::size_t j = 0; j < points[i].size(); ++j) {
        const double v = points[i][j];
        if (std::isnan(v)) {
          pen_down = false;
          continue;
        }
        const double x = x_of((static_cast<double>(j) + 0.5) * bucket_s);
        const double y = f.bottom - std::min(v, top) / top * f.h();
        d += (pen_down ? " L" : " M") + num(x) + ' ' + num(y);
        pen_down = true;
      }
      if (d.empty()) continue;
      // A single point would be an invisible line: draw it as a dot too.
      s += "<path d=\"" + d.substr(1) + "\" fill=\"none\" stroke=\"" + escape(c.lines[i].color) +
           "\" stroke-width=\"1.8\" stroke-linejoin=\"round\"><title>" + escape(c.lines[i].name) +
           "</title></path>";
      if (points[i].size() == 1)
        s += "<circle cx=\"" + num(x_of(0.5 * bucket_s)) + "\" cy=\"" +
             num(f.bottom - std::min(points[i][0], top) / top * f.h()) + "\" r=\"3\" fill=\"" +
             escape(c.lines[i].color) + "\"/>";
    }
  }

  // Legend, top right.
  double x = f.right;
  for (auto it = c.lines.rbegin(); it != c.lines.rend(); ++it) {
    const double w = 22 + 7.0 * static_cast<double>(it->name.size());
    x -= w;
    s += "<rect x=\"" + num(x) + "\" y=\"10\" width=\"12\" height=\"12\" fill=\"" +
         escape(it->color) + "\"/>";
    s += "<text x=\"" + num(x + 16) + "\" y=\"20\" font-size=\"12\" fill=\"#333\">" +
         escape(it->name) + "</text>";
  }
  if (!c.windows.empty()) {
    x -= 60;
    s += "<rect x=\"" + num(x) + "\" y=\"10\" width=\"12\" height=\"12\" fill=\"#d62728\" " +
         "fill-opacity=\"0.2\"/><text x=\"" + num(x + 16) +
         "\" y=\"20\" font-size=\"12\" fill=\"#333\">faults</text>";
  }
  s += "</svg>";
  return s;
}

std::string render(const bar_chart& c) {
  const frame f(c.width, c.height);
  std::string s = open_svg(c.width, c.height, c.title);
  double max = 0;
  for (const auto& b : c.bars)
    if (!std::isnan(b.value)) max = std::max(max, b.value);
  double step = 1;
  const double top = axis_top(max, step);
  s += y_axis(f, top, step, c.format_y, c.y_label);
  if (c.bars.empty()) {
    s += no_data(f);
  } else {
    const double slot = f.w() / static_cast<double>(c.bars.size());
    // Labels under at most ~12 bars, evenly spread, so they never overlap.
    const std::size_t every = std::max<std::size_t>(1, (c.bars.size() + 11) / 12);
    for (std::size_t i = 0; i < c.bars.size(); ++i) {
      const auto& b = c.bars[i];
      const double v = std::isnan(b.value) ? 0 : std::min(b.value, top);
      const double h = v / top * f.h();
      const double x = f.left + static_cast<double>(i) * slot;
      s += "<rect x=\"" + num(x + slot * 0.08) + "\" y=\"" + num(f.bottom - h) + "\" width=\"" +
           num(slot * 0.84) + "\" height=\"" + num(h) + "\" fill=\"" + escape(c.color) +
           "\"><title>" + escape(b.tooltip.empty() ? b.label : b.tooltip) + "</title></rect>";
      if (i % every == 0)
        s += "<text x=\"" + num(x + slot / 2) + "\" y=\"" + num(f.bottom + 16) +
             "\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">" + escape(b.label) +
             "</text>";
    }
  }
  if (!c.x_label.empty())
    s += "<text x=\"" + num((f.left + f.right) / 2) + "\" y=\"" + num(f.bottom + 34) +
         "\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">" + escape(c.x_label) +
         "</text>";
  s += "</svg>";
  return s;
}

}  // namespace ordeal::reporters::svg
