#pragma once

#include <stdexcept>

namespace ordeal::engine {

// Invalid configuration, found at start-up; main() turns it into exit code 104.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ordeal::engine
