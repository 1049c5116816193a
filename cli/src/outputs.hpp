#pragma once

#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ordeal::cli {

// One --out FORMAT=FILE.
struct output_file {
  std::string format;
  std::string path;
  std::ofstream stream;
};

// Checked before the run, so a bad path fails in a second, not after a 30-minute test;
// opened in append mode so an earlier result survives a run that fails to start. Throws
// config_error for a malformed spec, a format not in `formats`, or a file that can't be written.
std::vector<output_file> open_outputs(const std::vector<std::string>& specs,
                                      std::initializer_list<std::string_view> formats);

// "2024-05-01T12:00:00Z"
std::string utc_now_iso8601();

}  // namespace ordeal::cli
