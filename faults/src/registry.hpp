#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "event_log.hpp"
#include "ordeal/faults/spec.hpp"

namespace ordeal::faults {

class proxy;

// Every proxy by name, with its toxics: the state toxiproxy's API reads and changes. Lives on
// the fault thread and is only touched there (the REST API, the timeline and fault_server's
// posted calls all run on it), so it needs no lock. Every change is checked in full before
// anything is touched: a call that throws spec_error has changed nothing.
class registry {
 public:
  registry(boost::asio::any_io_executor ex, std::uint64_t seed, event_log& events);
  ~registry();

  // GET /proxies: {name: proxy_json}; GET /proxies/{name}.
  boost::json::object proxies_json() const;
  boost::json::object proxy_json(std::string_view name) const;  // 404

  // POST /proxies (409 taken name, 400 bad spec or unbindable address); returns proxy_json.
  boost::json::object create_proxy(const proxy_spec& spec);
  // POST/PATCH /proxies/{name}: "listen", "upstream", "enabled" may change (404, 400).
  boost::json::object update_proxy(std::string_view name, const boost::json::object& patch);
  void delete_proxy(std::string_view name);  // 404

  // GET /proxies/{name}/toxics, /toxics/{toxic}.
  boost::json::array toxics_json(std::string_view proxy) const;  // 404
  boost::json::object toxic_json(std::string_view proxy, std::string_view toxic) const;
  // POST /proxies/{name}/toxics (404 proxy, 409 taken toxic name, 400 bad type or attribute).
  boost::json::object add_toxic(std::string_view proxy, const toxic_spec& toxic);
  // POST/PATCH /proxies/{name}/toxics/{toxic}: "toxicity", "stream", "attributes" (merged).
  boost::json::object update_toxic(std::string_view proxy, std::string_view toxic,
                                   const boost::json::object& patch);
  void remove_toxic(std::string_view proxy, std::string_view toxic);  // 404

  // POST /reset: every proxy enabled, every toxic removed (each recorded as stopped).
  void reset();

  // The fault record (GET /events and the run's results).
  event_log& events() noexcept { return events_; }

 private:
  proxy& find(std::string_view name) const;  // 404

  boost::asio::any_io_executor ex_;
  std::uint64_t seed_;
  event_log& events_;
  std::map<std::string, std::unique_ptr<proxy>, std::less<>> proxies_;
};

}  // namespace ordeal::faults
