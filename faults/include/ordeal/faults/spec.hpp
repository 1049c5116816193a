#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ordeal::faults {

// A request the fault layer refuses, with the HTTP status toxiproxy's API answers it with:
// 400 bad body or attribute, 404 unknown proxy or toxic, 409 name already taken. The message
// names the field, e.g. "toxics[0].attributes.latency: expected a number of milliseconds >= 0".
class spec_error : public std::runtime_error {
 public:
  spec_error(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// Toxiproxy's words: "upstream" toxics act on bytes from the client to the upstream server,
// "downstream" ones on bytes from the server back to the client.
enum class stream_direction { upstream, downstream };
std::string_view to_string(stream_direction d) noexcept;

// Whether a toxic's toxicity is drawn once per connection (toxiproxy's meaning) or for every
// chunk of data that passes.
enum class toxicity_draw { connection, chunk };

// One toxic as toxiproxy's API shows it: {"name", "type", "stream", "toxicity", "attributes"},
// plus "toxicity_per": "connection" | "chunk". The attributes are validated by the toxic's type
// when the toxic is built (see toxic.hpp), not here.
struct toxic_spec {
  std::string name;  // default: "<type>_<stream>", as toxiproxy
  std::string type;
  stream_direction stream = stream_direction::downstream;
  double toxicity = 1.0;
  toxicity_draw per = toxicity_draw::connection;
  boost::json::object attributes;
};

// One proxy: {"name", "listen", "upstream", "enabled"} as toxiproxy, plus "http": true for
// the HTTP-aware faults (HTTP/1.1 upstreams).
struct proxy_spec {
  std::string name;
  std::string listen;    // "127.0.0.1:15432"; port 0 picks a free port
  std::string upstream;  // "127.0.0.1:5432"
  bool enabled = true;
  bool http = false;
};

// Readers of the JSON shapes; `where` prefixes messages ("proxies[1]", "options.faults[2]").
// Unknown fields are refused (status 400) so that a typo does not silently do nothing.
proxy_spec read_proxy(const boost::json::value& v, std::string_view where);
toxic_spec read_toxic(const boost::json::value& v, std::string_view where);
boost::json::object to_json(const toxic_spec& t);

// One entry of a fault timeline: at `at` after the load starts, apply `toxic` to `proxy` for
// `duration` (none: until the end of the run). A toxic of type "down" disables the proxy.
struct timed_fault {
  std::chrono::nanoseconds at{};
  std::optional<std::chrono::nanoseconds> duration;
  std::string proxy;
  toxic_spec toxic;
};

// What a drill declares: its proxies and its fault timeline.
struct fault_plan {
  std::vector<proxy_spec> proxies;
  std::vector<timed_fault> timeline;  // in the drill's order
  bool empty() const noexcept { return proxies.empty() && timeline.empty(); }
};

// Reads a drill's options.proxies (an object: name -> {listen, upstream, http}) and
// options.faults (an array of {at, duration, proxy, toxic = {...}} or {..., http = {...}}),
// either of which may be null. Durations are strings ("10s", "300ms") or numbers of seconds.
// Every toxic is built once here, so a bad attribute fails before the run. Throws spec_error
// "<where>: options.faults[2].toxic.latency: ..." (indices 1-based, as Lua's).
fault_plan read_fault_plan(const boost::json::value& proxies, const boost::json::value& faults,
                           std::string_view where);

}  // namespace ordeal::faults
