#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ordeal/engine/fault_event.hpp"
#include "ordeal/faults/spec.hpp"

namespace ordeal::faults {

class registry;

// The fault layer as a whole: proxies with their toxics, the timeline and the control API,
// all on one thread of their own (the relay never shares a core's loop with the load). Public
// members may be called from any thread: each runs on the fault thread and waits for it.
class fault_server {
 public:
  // `seed`: every random fault decision derives from it (and the proxy's and toxic's names
  // and the connection's number), so one seed and one connection order give one pattern.
  explicit fault_server(std::uint64_t seed);
  ~fault_server();  // rolls back, closes every listener and connection, joins the thread
  fault_server(const fault_server&) = delete;
  fault_server& operator=(const fault_server&) = delete;

  // Adds the plan's proxies (listening before this returns; throws spec_error for a taken
  // name or an address that cannot be bound) and keeps its timeline for start_timeline().
  void load(const fault_plan& plan);
  // Adds one proxy; returns the address it listens on ("127.0.0.1:40123" for port 0).
  std::string add_proxy(const proxy_spec& spec);
  void add_toxic(const std::string& proxy, const toxic_spec& toxic);
  void remove_toxic(const std::string& proxy, const std::string& toxic);

  // Serves toxiproxy's REST API on `address` ("127.0.0.1:8474"; port 0 picks one); returns
  // the address bound.
  std::string serve_api(const std::string& address);

  // Starts the loaded timeline with `origin` as its time zero (the load's start): each fault
  // begins and ends on schedule. Fault events' times count from `origin` too.
  void start_timeline(std::chrono::steady_clock::time_point origin);
  void set_origin(std::chrono::steady_clock::time_point origin);

  // Ends every fault now (timeline or API, recorded as stopped), re-enables every proxy and
  // cancels what the timeline has not started yet. Safe to call more than once.
  void rollback();

  // The faults in effect now, "proxy/toxic" (and "proxy (disabled)"), for a progress line.
  std::vector<std::string> active_faults() const;

  // Every fault event so far, in order; `dropped` counts events past the record's cap.
  std::vector<engine::fault_event> events() const;
  std::uint64_t events_dropped() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ordeal::faults
