#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <utility>

#include "toxic.hpp"

namespace ordeal::faults {

// A one-shot timer for a stage's time-driven behaviour (timeout, reset_peer), owned by the
// stage. Destroying it cancels the wait; a handler that was already queued when its stage went
// away (the timer had fired, the handler not yet run) finds the guard expired and does nothing,
// so `f` never touches a destroyed stage.
class stage_timer {
 public:
  explicit stage_timer(boost::asio::any_io_executor ex) : timer_(std::move(ex)) {}

  template <class F>
  void start(clock::time_point at, F f) {
    timer_.expires_at(at);
    timer_.async_wait(
        [guard = std::weak_ptr<int>(guard_), f = std::move(f)](boost::system::error_code ec) {
          if (ec || guard.expired()) return;
          f();
        });
  }

 private:
  std::shared_ptr<int> guard_ = std::make_shared<int>(0);
  boost::asio::steady_timer timer_;
};

}  // namespace ordeal::faults
