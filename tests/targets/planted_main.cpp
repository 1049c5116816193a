// ordeal_planted_target: a small HTTP/1.1 system under test with bugs that can be switched on,
// for the tests that check ordeal's verdicts find them (and find nothing when they are off).
//
//   ordeal_planted_target --listen 127.0.0.1:0 [--bugs ignore_idempotency_key,lost_update,...]
//                         [--threads N]
//
// Prints the bound host:port as its first line on stdout, then serves until SIGTERM/SIGINT.
// A bad argument (an unknown bug included) is one line on stderr and exit code 2.
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "planted_bugs.hpp"
#include "planted_endpoints.hpp"
#include "planted_server.hpp"

namespace {

using ordeal::planted::server_options;
using tcp = boost::asio::ip::tcp;

constexpr int exit_usage = 2;

const char* const usage =
    "usage: ordeal_planted_target --listen HOST:PORT [--bugs NAME,...] [--threads N]\n"
    "bugs: ignore_idempotency_key, lost_update, unstored_writes, slow_path\n";

tcp::endpoint parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    throw std::invalid_argument("--listen: expected HOST:PORT, got \"" + std::string(text) + "\"");
  unsigned port = 0;
  const auto port_text = text.substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
    throw std::invalid_argument("--listen: bad port \"" + std::string(port_text) + "\"");
  boost::system::error_code bad_address;
  const auto address =
      boost::asio::ip::make_address(std::string(text.substr(0, colon)), bad_address);
  if (bad_address)
    throw std::invalid_argument("--listen: bad address \"" + std::string(text.substr(0, colon)) +
                                "\" (an IP address such as 127.0.0.1)");
  return {address, static_cast<unsigned short>(port)};
}

unsigned parse_threads(std::string_view text) {
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n == 0 || n > 64)
    throw std::invalid_argument("--threads: expected a whole number from 1 to 64, got \"" +
                                std::string(text) + "\"");
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  ordeal::planted::app app;
  server_options options;
  options.listen = {boost::asio::ip::make_address("127.0.0.1"), 0};
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        std::cout << usage;
        return 0;
      }
      if (arg != "--listen" && arg != "--bugs" && arg != "--threads")
        throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
      if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + ": missing its value");
      const std::string_view value = argv[++i];
      if (arg == "--listen") options.listen = parse_listen(value);
      if (arg == "--bugs") app.bugs = ordeal::planted::parse_bugs(value);
      if (arg == "--threads") options.threads = parse_threads(value);
    }
  } catch (const std::exception& e) {
    std::cerr << "ordeal_planted_target: " << e.what() << "\n" << usage;
    return exit_usage;
  }

  try {
    ordeal::planted::serve(app, options, [&](const tcp::endpoint& bound) {
      std::cout << bound.address().to_string() << ":" << bound.port() << std::endl;
      std::cerr << "ordeal_planted_target: bugs " << to_string(app.bugs) << ", " << options.threads
                << " threads\n";
    });
  } catch (const std::exception& e) {
    std::cerr << "ordeal_planted_target: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
