#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ordeal::test {

// A fresh directory /tmp/ordeal-<name>-XXXXXX. Throws std::system_error.
std::filesystem::path make_temp_dir(std::string_view name);

// Writes `content` to `path` (binary, truncating). Throws std::runtime_error.
void write_file(const std::filesystem::path& path, const std::string& content);

// Whether something on 127.0.0.1:port accepts a TCP connection now.
bool accepts_connections(std::uint16_t port);

// A temporary directory removed with everything in it on destruction.
class temp_dir {
 public:
  explicit temp_dir(std::string_view name) : path_(make_temp_dir(name)) {}
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ordeal::test
