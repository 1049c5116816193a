#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <string>

namespace ordeal::faults {

class registry;
namespace detail {
struct api_shared;
}

// Toxiproxy's REST API over HTTP/1.1 (keep-alive), with toxiproxy's paths, JSON shapes and
// status codes so that its client libraries work unchanged, plus GET /events (the fault
// record). See docs/faults.md, "Control API".
//
// Fault-thread only: construct, listen and destroy it on the thread that runs `ex`, the one
// that owns `reg` (every request is answered there, between two relay events).
class api_server {
 public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  api_server(boost::asio::any_io_executor ex, registry& reg);
  ~api_server();  // closes the listeners and every connection; none touches `reg` after
  api_server(const api_server&) = delete;
  api_server& operator=(const api_server&) = delete;

  // Binds `address` ("127.0.0.1:8474", "[::1]:0", "localhost:8474"; port 0 picks one),
  // starts accepting and returns the address bound, "ip:port". Throws spec_error 400 when
  // the address is malformed, does not resolve or cannot be bound.
  std::string listen(const std::string& address);

  // The answer to one request, as the server sends it (exposed for in-process tests).
  response handle(const request& req);

 private:
  // What the connections' coroutines share; it may outlive the server for a moment.
  std::shared_ptr<detail::api_shared> shared_;
};

}  // namespace ordeal::faults
