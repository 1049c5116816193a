#include "ordeal/reporters/prometheus_text.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "ordeal/engine/metric_filter.hpp"

namespace ordeal::reporters {

namespace {

bool name_char(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (colon_ok && c == ':');
}

std::string sanitize(std::string_view name, bool colon_ok) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) out += '_';
  for (const char c : name)
    out += name_char(c, colon_ok) ? c : '_';
  return out;
}

// Shortest text that reads back as the same double; Prometheus' spellings of the specials.
std::string value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// One metric family: its TYPE and samples (in the order they were added).
struct family {
  std::string type;
  std::string help;
  std::vector<std::string> lines;
  std::set<std::string> label_sets;  // a series appears once, whatever keys map onto it
};

class exposition {
 public:
  // Adds `sample_name{labels} v` to `family_name`, unless the family has another type or
  // already holds this series.
  void add(const std::string& family_name, std::string_view type, std::string_view help,
           const std::string& sample_name, const std::string& labels, double v,
           std::string_view series_id = {}) {
    auto [it, fresh] = families_.try_emplace(family_name);
    auto& f = it->second;
    if (fresh) {
      f.type = type;
      f.help = help;
    } else if (f.type != type) {
      return;
    }
    const std::string id = sample_name + '{' + labels + '}' + std::string(series_id);
    if (!f.label_sets.insert(id).second) return;
    f.lines.push_back(sample_name + (labels.empty() ? "" : '{' + labels + '}') + ' ' + value(v));
  }

  std::string text() const {
    std::string out;
    for (const auto& [name, f] : families_) {
      if (!f.help.empty()) out += "# HELP " + name + ' ' + f.help + '\n';
      out += "# TYPE " + name + ' ' + f.type + '\n';
      for (const auto& l : f.lines)
        out += l + '\n';
    }
    return out;
  }

 private:
  std::map<std::string, family> families_;
};

std::string join(const std::string& labels, const std::string& more) {
  if (labels.empty()) return more;
  if (more.empty()) return labels;
  return labels + ',' + more;
}

std::string label(std::string_view name, std::string_view v) {
  return std::string(name) + "=\"" + prometheus_label_value(v) + '"';
}

// The key's tags as labels; names that would clash with what the exposition adds
// ("quantile") or that Prometheus reserves ("__...") are prefixed with "tag_".
std::string labels_of(const engine::series_view& key) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& [k, v] : key.tags) {
    std::string name = prometheus_label_name(k);
    if (name == "quantile" || name.starts_with("__")) name = "tag_" + name;
    if (!seen.insert(name).second) continue;
    out = join(out, label(name, v));
  }
  return out;
}

std::string strip_suffix(std::string name, std::string_view suffix) {
  if (name.size() > suffix.size() && name.ends_with(suffix))
    name.resize(name.size() - suffix.size());
  return name;
}

}  // namespace

std::string prometheus_name(std::string_view name) {
  return sanitize(name, true);
}

std::string prometheus_label_name(std::string_view name) {
  return sanitize(name, false);
}

std::string prometheus_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_text(const engine::metric_set& metrics, const prometheus_run& run) {
  exposition e;
  e.add("ordeal_up", "gauge", "1 while the run is serving metrics.", "ordeal_up", "", 1);
  e.add("ordeal_run_info", "gauge", "The run: ordeal's version, the target and the seed.",
        "ordeal_run_info",
        join(join(label("version", run.version), label("target", run.target)),
             label("seed", std::to_string(run.seed))),
        1);
  e.add("ordeal_elapsed_seconds", "gauge", "Seconds since the load started.",
        "ordeal_elapsed_seconds", "", run.elapsed_s);
  e.add("ordeal_running", "gauge", "1 while the load runs, 0 once it has ended.", "ordeal_running",
        "", run.running ? 1 : 0);

  for (const auto& [k, m] : metrics) {
    const auto key = engine::split_series_key(k);
    const std::string base = "ordeal_" + prometheus_name(key.name);
    const std::string labels = labels_of(key);
    switch (m.kind) {
      case engine::metric_kind::counter: {
        const std::string name = strip_suffix(base, "_total") + "_total";
        e.add(name, "counter", "", name, labels, m.sum);
        break;
      }
      case engine::metric_kind::gauge:
        e.add(base, "gauge", "", base, labels, m.last);
        break;
      case engine::metric_kind::rate: {
        const std::string stem = strip_suffix(base, "_total");
        e.add(stem + "_total", "counter", "Samples that were true (non-zero).", stem + "_total",
              labels, static_cast<double>(m.trues));
        e.add(stem + "_samples_total", "counter", "All samples.", stem + "_samples_total", labels,
              static_cast<double>(m.samples));
        e.add(stem + "_rate", "gauge", "Share of true samples since the start.", stem + "_rate",
              labels, m.rate_value());
        break;
      }
      case engine::metric_kind::trend: {
        // Durations are ms in the results model; Prometheus' base unit is the second. The
        // histogram holds values x 1000 (µs for durations): one division, no rounding noise.
        const double per_unit = m.is_time ? 1000.0 : 1.0;
        const double per_recorded = per_unit * 1000.0;
        const std::string name = m.is_time ? strip_suffix(base, "_seconds") + "_seconds" : base;
        for (const auto& [q, p] :
             {std::pair{"0.5", 50.0}, {"0.9", 90.0}, {"0.95", 95.0}, {"0.99", 99.0}})
          e.add(name, "summary", "", name, join(labels, label("quantile", q)),
                m.samples ? static_cast<double>(m.values.percentile(p)) / per_recorded
                          : std::nan(""));
        e.add(name, "summary", "", name + "_sum", labels, m.sum / per_unit);
        e.add(name, "summary", "", name + "_count", labels, static_cast<double>(m.samples));
        break;
      }
    }
  }
  return e.text();
}

}  // namespace ordeal::reporters
