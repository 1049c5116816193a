#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "ordeal/engine/config.hpp"
#include "ordeal/engine/url.hpp"
#include "ordeal/scenarios/drill.hpp"

namespace ordeal::scenarios {

// What running one action came to.
struct action_outcome {
  bool passed = false;
  std::string detail;  // "exit 0", "202", "exit 2: <the output's last line>", "timed out after 5s"
};

// Runs `argv` (no shell unless argv is {"/bin/sh", "-c", ...}) with stdin from /dev/null and its
// output captured; kills its process group past `timeout`. Passed: exit status 0.
action_outcome run_command(const std::vector<std::string>& argv, std::chrono::nanoseconds timeout);

// Sends one HTTP request (a path goes to `base`; https with the drill's `tls`); passed: the
// status is `expect` (0: any 2xx).
action_outcome run_http(const action_spec& a, const std::optional<engine::url>& base,
                        const engine::tls_options& tls);

// "exec: kill -HUP 42" / "http: POST http://127.0.0.1:8080/admin/restart".
std::string describe_action(const action_spec& a);

}  // namespace ordeal::scenarios
