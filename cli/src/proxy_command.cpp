#include "proxy_command.hpp"

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "ordeal/engine/config_error.hpp"
#include "ordeal/faults/fault_server.hpp"
#include "ordeal/faults/spec.hpp"

namespace ordeal::cli {
namespace {

namespace json = boost::json;
using engine::config_error;

// One proxy of the config file with the toxics it starts with.
struct configured_proxy {
  faults::proxy_spec spec;
  std::vector<faults::toxic_spec> toxics;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw config_error(path + ": cannot read: " + std::strerror(errno));
  return s.str();
}

// The file as JSON; a syntax error is reported as "file:line:column: ...".
json::value parse_json(const std::string& path, const std::string& text) {
  json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t at = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    parser.finish(ec);
    at = text.size();
  }
  if (!ec) return parser.release();
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  throw config_error(path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                     ec.message());
}

// Toxiproxy's config format (an array of {name, listen, upstream, enabled}), plus ordeal's
// "http": true and "toxics": [{name, type, stream, toxicity, attributes}, ...] per proxy.
// Everything is read before anything listens.
std::vector<configured_proxy> read_config(const std::string& path) {
  const json::value doc = parse_json(path, read_file(path));
  if (!doc.is_array())
    throw config_error(path + ": expected a JSON array of proxies, as toxiproxy's -config");
  std::vector<configured_proxy> out;
  std::set<std::string> names;
  const auto& items = doc.get_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where = "[" + std::to_string(i) + "]";
    try {
      if (!items[i].is_object()) throw faults::spec_error(400, where + ": expected an object");
      json::object o = items[i].get_object();
      configured_proxy p;
      json::array toxics;
      if (const auto* t = o.if_contains("toxics")) {
        if (t->is_array())
          toxics = t->get_array();
        else if (!t->is_null())
          throw faults::spec_error(400, where + ".toxics: expected an array of toxics");
        o.erase("toxics");
      }
      p.spec = faults::read_proxy(o, where);
      if (!names.insert(p.spec.name).second)
        throw faults::spec_error(400, where + ".name: \"" + p.spec.name + "\" appears twice");
      std::set<std::string> toxic_names;
      for (std::size_t j = 0; j < toxics.size(); ++j) {
        const std::string tw = where + ".toxics[" + std::to_string(j) + "]";
        p.toxics.push_back(faults::read_toxic(toxics[j], tw));
        if (!toxic_names.insert(p.toxics.back().name).second)
          throw faults::spec_error(
              400, tw + ".name: \"" + p.toxics.back().name + "\" appears twice on this proxy");
      }
      out.push_back(std::move(p));
    } catch (const faults::spec_error& e) {
      throw config_error(path + ": " + e.what());
    }
  }
  return out;
}

}  // namespace

void add_proxy_command(CLI::App& app, proxy_args& a) {
  auto* proxy = app.add_subcommand(
      "proxy",
      "Run fault proxies (TCP, with toxics) under toxiproxy's REST API, until Ctrl-C; "
      "toxiproxy's clients and CLI work against it");
  proxy->add_option("-c,--config", a.config,
                    "Proxies to start with: toxiproxy's config file (a JSON array of {name, "
                    "listen, upstream, enabled}; ordeal also reads \"http\" and \"toxics\")");
  auto* api = proxy
                  ->add_option("--api", a.api,
                               "Address of the control API (port 0: any free port; the address "
                               "bound is printed)")
                  ->capture_default_str();
  proxy->add_flag("--no-api", a.no_api, "Run without the control API")->excludes(api);
  proxy->add_option("--seed", a.seed, "Seed for every random fault decision")
      ->capture_default_str();
}

int proxy_command(const proxy_args& a) {
  if (a.no_api && a.config.empty())
    throw config_error("--no-api without --config: there would be nothing to serve");
  std::vector<configured_proxy> proxies;
  if (!a.config.empty()) proxies = read_config(a.config);

  // Block the stop signals before the fault thread exists so it inherits the mask, and wait
  // for one here. A write to a closed peer is an error value, not a reason to die.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  faults::fault_server server(a.seed);
  for (std::size_t i = 0; i < proxies.size(); ++i) {
    const auto& p = proxies[i];
    const std::string where = a.config + ": [" + std::to_string(i) + "] (" + p.spec.name + ")";
    std::string bound;
    try {
      bound = server.add_proxy(p.spec);
    } catch (const faults::spec_error& e) {
      throw config_error(where + ": " + e.what());
    }
    for (std::size_t j = 0; j < p.toxics.size(); ++j) {
      try {
        server.add_toxic(p.spec.name, p.toxics[j]);
      } catch (const faults::spec_error& e) {
        throw config_error(a.config + ": [" + std::to_string(i) + "].toxics[" + std::to_string(j) +
                           "]: " + e.what());
      }
    }
    std::string toxics;
    for (const auto& t : p.toxics)
      toxics += (toxics.empty() ? "" : ", ") + t.name;
    std::cout << "ordeal proxy: " << p.spec.name << " listening on " << bound << " -> "
              << p.spec.upstream << (p.spec.enabled ? "" : " (disabled)")
              << (toxics.empty() ? "" : " with " + toxics) << std::endl;
  }
  if (!a.no_api) {
    std::string bound;
    try {
      bound = server.serve_api(a.api);
    } catch (const faults::spec_error& e) {
      throw config_error(std::string("--api: ") + e.what());
    }
    std::cout << "ordeal proxy: API on http://" << bound
              << "/ (toxiproxy-compatible; Ctrl-C to stop)" << std::endl;
  } else {
    std::cout << "ordeal proxy: running without an API (Ctrl-C to stop)" << std::endl;
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.rollback();
  std::cout << "ordeal proxy: stopped, every fault rolled back (" << server.events().size()
            << " fault events)" << std::endl;
  return exit_code::ok;
}

}  // namespace ordeal::cli
