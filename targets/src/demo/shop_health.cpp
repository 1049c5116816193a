// GET /health: the shop is healthy when payments is.
#include <thread>

#include "shop_service.hpp"

namespace ordeal::targets::demo {

response shop_service::health() {
  using namespace std::chrono_literals;
  if (config_.bugs.blind_health) {
    // The bug: never looks at payments.
    return json_response(200, json::object{{"status", "ok"}, {"payments", "ok"}});
  }
  std::string why;
  if (config_.bugs.slow_health) {
    // The bug: waits for payments as long as it takes (an hour is "forever" for a probe),
    // then sleeps a second on top.
    why = payments_.health(std::chrono::hours{1});
    std::this_thread::sleep_for(1s);
  } else {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(health_mutex_);
      if (!health_why_.empty() && now - health_checked_ < 200ms) why = health_why_;
    }
    if (why.empty()) {
      why = payments_.health(300ms);
      std::lock_guard lock(health_mutex_);
      health_why_ = why;
      health_checked_ = now;
    }
  }
  if (why == "ok") return json_response(200, json::object{{"status", "ok"}, {"payments", "ok"}});
  return json_response(503, json::object{{"status", "degraded"}, {"payments", why}});
}

}  // namespace ordeal::targets::demo
