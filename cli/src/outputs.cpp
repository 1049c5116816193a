#include "outputs.hpp"

#include <algorithm>
#include <ctime>

#include "ordeal/engine/config_error.hpp"

namespace ordeal::cli {

using engine::config_error;

std::vector<output_file> open_outputs(const std::vector<std::string>& specs,
                                      std::initializer_list<std::string_view> formats) {
  std::string accepted;
  for (const auto f : formats) {
    if (!accepted.empty()) accepted += ", ";
    accepted.append(f).append("=FILE");
  }
  std::vector<output_file> outs;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw config_error("invalid --out \"" + spec +
                         "\": expected FORMAT=FILE, e.g. json=result.json");
    output_file o{spec.substr(0, eq), spec.substr(eq + 1), {}};
    if (std::find(formats.begin(), formats.end(), o.format) == formats.end())
      throw config_error("unknown output format \"" + o.format + "\" in --out (use " + accepted +
                         ")");
    o.stream.open(o.path, std::ios::app);
    if (!o.stream) throw config_error("cannot write \"" + o.path + "\"");
    o.stream.close();
    outs.push_back(std::move(o));
  }
  return outs;
}

std::string utc_now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ordeal::cli
