#include "api_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry.hpp"

namespace ordeal::faults {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;
using boost::system::error_code;
using request = api_server::request;
using response = api_server::response;

namespace {

// Errors are values on the connection's path: no exception per failed read or write.
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t body_limit = 1024 * 1024;           // bytes: no toxiproxy body comes near it
constexpr std::size_t header_limit = 16 * 1024;           // bytes: request line and headers
constexpr auto idle_timeout = std::chrono::seconds(60);   // also bounds reading one request
constexpr auto write_timeout = std::chrono::seconds(30);  // toxiproxy's own write timeout
// A closing connection reads what the client still sends for this long, so that the client
// sees our last response instead of a reset (the kernel resets a socket closed with unread
// data, e.g. the rest of a body over the limit).
constexpr auto linger_for = std::chrono::seconds(1);
// A control API has a handful of clients; past this many connections new ones are closed at
// once rather than let a misbehaving client take every descriptor of the process.
constexpr std::size_t max_connections = 128;

// ---- responses -------------------------------------------------------------------------

response make_response(const request& req, http::status status) {
  response res{status, req.version()};
  res.keep_alive(req.keep_alive());
  return res;
}

response json_response(const request& req, http::status status, const json::value& body) {
  auto res = make_response(req, status);
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

// Toxiproxy's error shape, {"error": "...", "status": N}, ending in a newline as its errors do.
response error_response(unsigned version, bool keep_alive, int status, std::string_view message) {
  response res{static_cast<http::status>(status), version};
  res.keep_alive(keep_alive);
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(json::object{{"error", message}, {"status", status}}) + "\n";
  res.prepare_payload();
  return res;
}

// No Content-Length: a 204 has no body and must not announce one (RFC 9110, 8.6).
response no_content(const request& req) {
  return make_response(req, http::status::no_content);
}

// ---- request targets -------------------------------------------------------------------

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded (a proxy's name may hold any character a client escapes).
std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
      if (lo < 0) throw spec_error(400, "bad request: malformed %-escape in the request target");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct target {
  std::string path;                   // as sent, for messages
  std::vector<std::string> segments;  // decoded; "/proxies/db" is {"proxies", "db"}
  std::vector<std::pair<std::string, std::string>> query;  // decoded
};

target parse_target(std::string_view t) {
  // Absolute form ("http://host:8474/proxies"), which an HTTP client may send.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (t.size() >= scheme.size() && beast::iequals(t.substr(0, scheme.size()), scheme)) {
      const auto slash = t.find('/', scheme.size());
      t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
      break;
    }
  }
  target out;
  const auto q = t.find('?');
  const std::string_view path = t.substr(0, q);
  out.path = std::string(path);
  if (path.empty() || path.front() != '/')
    throw spec_error(400, "bad request: the request target must be a path");
  std::string_view rest = path.substr(1);
  for (;;) {
    const auto slash = rest.find('/');
    out.segments.push_back(percent_decode(rest.substr(0, slash), false));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (q != std::string_view::npos) {
    std::string_view query = t.substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      if (!pair.empty()) {
        const auto eq = pair.find('=');
        out.query.emplace_back(percent_decode(pair.substr(0, eq), true),
                               eq == std::string_view::npos
                                   ? std::string()
                                   : percent_decode(pair.substr(eq + 1), true));
      }
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
  }
  return out;
}

// ---- request bodies --------------------------------------------------------------------

// The body as JSON; a syntax error names its line and column.
json::value parse_body(const request& req) {
  const std::string& text = req.body();
  json::stream_parser parser;
  error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  std::size_t at = consumed;
  if (!ec) {
    parser.finish(ec);
    at = text.size();
  }
  if (ec) {
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
    if (text.empty()) throw spec_error(400, "bad request body: empty, expected JSON");
    throw spec_error(400, "bad request body: " + ec.message() + " at line " + std::to_string(line) +
                              ", column " + std::to_string(column));
  }
  return parser.release();
}

json::object object_body(const request& req, std::string_view what) {
  json::value v = parse_body(req);
  if (!v.is_object())
    throw spec_error(400, "bad request body: expected a JSON object (" + std::string(what) + ")");
  return std::move(v.as_object());
}

// A null field means "not given", as toxiproxy's decoder reads it.
void erase_nulls(json::object& o) {
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_null())
      it = o.erase(it);
    else
      ++it;
  }
}

// Toxiproxy's clients send a proxy's toxics back with it (the Go client's Save() echoes the
// list it last read; a new proxy has "toxics": null), and toxiproxy ignores them: so do we
// when there are none. A non-empty list on a new proxy would be dropped silently, so it is
// refused instead: toxics are added with POST /proxies/{name}/toxics.
void drop_empty_toxics(json::object& o, std::string_view where) {
  const auto* t = o.if_contains("toxics");
  if (!t) return;
  if (!t->is_null() && !(t->is_array() && t->as_array().empty()))
    throw spec_error(400, std::string(where) +
                              ".toxics: add toxics with POST /proxies/{name}/toxics (toxiproxy "
                              "would ignore them here)");
  o.erase("toxics");
}

// A field a client echoes back unchanged is not a change: removing it keeps a full-object
// update (what most clients send) from touching what it did not mean to.
void erase_unchanged(json::object& patch, const json::object& current,
                     std::initializer_list<std::string_view> keys) {
  for (const auto key : keys) {
    const auto* now = current.if_contains(key);
    const auto* wanted = patch.if_contains(key);
    if (now && wanted && *now == *wanted) patch.erase(key);
  }
}

std::pair<std::string_view, std::string_view> split_host_port(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return {address, {}};
  return {address.substr(0, colon), address.substr(colon + 1)};
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool bool_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// ---- the fault record ------------------------------------------------------------------

// The shape the reports use for the same record (reporters' fault_event_json, docs/results.md):
// empty strings and connection 0 are left out.
json::object event_json(const engine::fault_event& e) {
  json::object o;
  o["at_us"] = e.at_us;
  o["event"] = engine::to_string(e.what);
  const auto put = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
  };
  put("proxy", e.proxy);
  put("fault", e.fault);
  put("type", e.type);
  put("stream", e.stream);
  if (e.connection != 0) o["connection"] = e.connection;
  put("client", e.client);
  put("detail", e.detail);
  return o;
}

// ---- routes ----------------------------------------------------------------------------

class router {
 public:
  router(registry& reg, const request& req) : reg_(reg), req_(req) {}

  response route(const target& t) {
    const auto& s = t.segments;
    const std::size_t n = s.size();
    if (n == 1 && s[0] == "version") return only({"GET"}, [&] { return version(); });
    if (n == 1 && s[0] == "reset") return only({"POST"}, [&] { return reset(); });
    if (n == 1 && s[0] == "populate") return only({"POST"}, [&] { return populate(); });
    if (n == 1 && s[0] == "events") return only({"GET"}, [&] { return events(t); });
    if (n >= 1 && s[0] == "proxies") {
      if (n == 1) {
        if (is("GET")) return json_response(req_, http::status::ok, reg_.proxies_json());
        if (is("POST")) return create_proxy();
        return not_allowed({"GET", "POST"});
      }
      const std::string& proxy = s[1];
      if (n == 2 && !proxy.empty()) {
        if (is("GET")) return json_response(req_, http::status::ok, reg_.proxy_json(proxy));
        // POST is how toxiproxy's clients up to 2.5 update; 2.6 added PATCH.
        if (is("POST") || is("PATCH")) return update_proxy(proxy);
        if (is("DELETE")) {
          reg_.delete_proxy(proxy);
          return no_content(req_);
        }
        return not_allowed({"GET", "POST", "PATCH", "DELETE"});
      }
      if (n >= 3 && !proxy.empty() && s[2] == "toxics") {
        if (n == 3) {
          if (is("GET")) return json_response(req_, http::status::ok, reg_.toxics_json(proxy));
          if (is("POST")) return add_toxic(proxy);
          return not_allowed({"GET", "POST"});
        }
        const std::string& toxic = s[3];
        if (n == 4 && !toxic.empty()) {
          if (is("GET"))
            return json_response(req_, http::status::ok, reg_.toxic_json(proxy, toxic));
          if (is("POST") || is("PATCH")) return update_toxic(proxy, toxic);
          if (is("DELETE")) {
            reg_.remove_toxic(proxy, toxic);
            return no_content(req_);
          }
          return not_allowed({"GET", "POST", "PATCH", "DELETE"});
        }
      }
    }
    throw spec_error(404, "no such route: " + t.path);
  }

 private:
  bool is(std::string_view method) const { return req_.method_string() == method; }

  template <class F>
  response only(std::initializer_list<std::string_view> methods, F&& f) {
    for (const auto m : methods)
      if (is(m)) return f();
    return not_allowed(methods);
  }

  response not_allowed(std::initializer_list<std::string_view> methods) {
    std::string allow;
    for (const auto m : methods)
      allow += (allow.empty() ? "" : ", ") + std::string(m);
    auto res = error_response(req_.version(), req_.keep_alive(), 405,
                              "method " + std::string(req_.method_string()) +
                                  " not allowed here (allowed: " + allow + ")");
    res.set(http::field::allow, allow);
    return res;
  }

  // Toxiproxy 2.7 and later answer JSON (2.6 sent the bare version with a JSON content type).
  response version() {
    auto res = make_response(req_, http::status::ok);
    res.set(http::field::content_type, "application/json;charset=utf-8");
    res.body() = json::serialize(json::object{{"version", "ordeal " ORDEAL_VERSION}}) + "\n";
    res.prepare_payload();
    return res;
  }

  response reset() {
    reg_.reset();
    return no_content(req_);
  }

  response create_proxy() {
    json::object o = object_body(req_, "a proxy");
    drop_empty_toxics(o, "proxy");
    erase_nulls(o);
    return json_response(req_, http::status::created, reg_.create_proxy(read_proxy(o, "proxy")));
  }

  response update_proxy(const std::string& name) {
    const json::object current = reg_.proxy_json(name);  // 404 before 400, as toxiproxy
    json::object patch = object_body(req_, "the fields to change");
    patch.erase("toxics");  // an echo of the proxy's toxics (see drop_empty_toxics)
    erase_nulls(patch);
    if (const auto* n = patch.if_contains("name")) {
      if (!n->is_string() || n->as_string() != name)
        throw spec_error(400, "proxy.name: a proxy cannot be renamed; create a new one");
      patch.erase("name");
    }
    if (const auto* h = patch.if_contains("http")) {
      if (!h->is_bool() || h->as_bool() != bool_field(current, "http"))
        throw spec_error(400,
                         "proxy.http: cannot change on an existing proxy; delete it and "
                         "create it again");
      patch.erase("http");
    }
    erase_unchanged(patch, current, {"listen", "upstream", "enabled"});
    if (patch.empty()) return json_response(req_, http::status::ok, current);
    return json_response(req_, http::status::ok, reg_.update_proxy(name, patch));
  }

  // Toxiproxy answers 200, not 201, to a new toxic.
  response add_toxic(const std::string& proxy) {
    reg_.toxics_json(proxy);  // 404 before 400, as toxiproxy
    json::object o = object_body(req_, "a toxic");
    erase_nulls(o);
    // The Go client sends "name": "" for "use the default name" (<type>_<stream>).
    for (const auto key : {"name", "stream"})
      if (const auto* v = o.if_contains(key); v && v->is_string() && v->as_string().empty())
        o.erase(key);
    return json_response(req_, http::status::ok, reg_.add_toxic(proxy, read_toxic(o, "toxic")));
  }

  response update_toxic(const std::string& proxy, const std::string& toxic) {
    const json::object current = reg_.toxic_json(proxy, toxic);  // 404 before 400
    json::object patch = object_body(req_, "the fields to change");
    erase_nulls(patch);
    for (const auto key : {"name", "type"}) {
      const auto* wanted = patch.if_contains(key);
      if (!wanted) continue;
      const auto* now = current.if_contains(key);
      if (!now || *now != *wanted)
        throw spec_error(400, std::string("toxic.") + key + ": a toxic's " + key +
                                  " cannot change; remove it and add a new one");
      patch.erase(key);
    }
    erase_unchanged(patch, current, {"stream", "toxicity", "toxicity_per"});
    if (patch.empty()) return json_response(req_, http::status::ok, current);
    return json_response(req_, http::status::ok, reg_.update_toxic(proxy, toxic, patch));
  }

  // Creates or updates every proxy of the array, all or nothing: everything is read first,
  // and a proxy that cannot be applied (an address that cannot be bound) undoes the ones
  // before it. Answers 201 {"proxies": [...]} as toxiproxy.
  response populate() {
    json::value body = parse_body(req_);
    if (!body.is_array()) throw spec_error(400, "bad request body: expected an array of proxies");
    std::vector<proxy_spec> specs;
    std::set<std::string, std::less<>> names;
    const auto& items = body.as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string where = "[" + std::to_string(i) + "]";
      if (!items[i].is_object()) throw spec_error(400, where + ": expected a proxy object");
      json::object o = items[i].as_object();
      drop_empty_toxics(o, where);
      erase_nulls(o);
      specs.push_back(read_proxy(o, where));
      if (!names.insert(specs.back().name).second)
        throw spec_error(400, where + ".name: \"" + specs.back().name + "\" appears twice");
    }

    const json::object existing = reg_.proxies_json();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const auto* now = existing.if_contains(specs[i].name);
      if (now && now->is_object() && bool_field(now->as_object(), "http") != specs[i].http)
        throw spec_error(400, "[" + std::to_string(i) +
                                  "].http: cannot change on an existing proxy; delete it first");
    }
    std::vector<std::function<void()>> undo;
    json::array applied;
    try {
      for (const auto& spec : specs) {
        const auto* now = existing.if_contains(spec.name);
        if (!now || !now->is_object()) {
          applied.push_back(reg_.create_proxy(spec));
          undo.push_back([this, name = spec.name] { reg_.delete_proxy(name); });
          continue;
        }
        const json::object& current = now->as_object();
        json::object patch;
        json::object before;
        const auto change = [&](std::string_view key, json::value wanted) {
          const auto* was = current.if_contains(key);
          if (was && *was == wanted) return;
          patch[key] = std::move(wanted);
          before[key] = was ? *was : json::value(nullptr);
        };
        // Port 0 asks for any free port: the one the proxy has already is one, so
        // populating the same file twice leaves the proxy where it is.
        const std::string listen_now = string_field(current, "listen");
        const auto [host, port] = split_host_port(spec.listen);
        if (!(port == "0" && split_host_port(listen_now).first == host))
          change("listen", json::value(spec.listen));
        change("upstream", json::value(spec.upstream));
        change("enabled", json::value(spec.enabled));
        if (patch.empty()) {
          applied.push_back(current);
          continue;
        }
        erase_nulls(before);
        applied.push_back(reg_.update_proxy(spec.name, patch));
        undo.push_back([this, name = spec.name, before] { reg_.update_proxy(name, before); });
      }
    } catch (...) {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        try {
          (*it)();
        } catch (const std::exception&) {
          // Best effort: the old address may have been taken meanwhile.
        }
      }
      throw;
    }
    return json_response(req_, http::status::created, json::object{{"proxies", applied}});
  }

  // GET /events[?since=<at_us>]: the fault record, events at or after `since`.
  response events(const target& t) {
    std::optional<std::int64_t> since;
    for (const auto& [key, value] : t.query) {
      if (key != "since")
        throw spec_error(400, "events: unknown query parameter \"" + key + "\" (known: since)");
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty())
        throw spec_error(
            400, "events: since: expected microseconds (an integer), got \"" + value + "\"");
      since = v;
    }
    const auto& log = reg_.events();
    json::array list;
    for (const auto& e : log.all())
      if (!since || e.at_us >= *since) list.push_back(event_json(e));
    return json_response(req_, http::status::ok,
                         json::object{{"events", std::move(list)}, {"dropped", log.dropped()}});
  }

  registry& reg_;
  const request& req_;
};

response answer(registry& reg, const request& req) {
  try {
    // Toxiproxy refuses browsers, so that a web page cannot drive a local API (the request
    // would be cross-site but still reach us).
    if (req[http::field::user_agent].starts_with("Mozilla/"))
      return error_response(req.version(), req.keep_alive(), 403, "User agent not allowed");
    return router(reg, req).route(parse_target(req.target()));
  } catch (const spec_error& e) {
    const int status = e.status() >= 400 && e.status() <= 599 ? e.status() : 500;
    return error_response(req.version(), req.keep_alive(), status, e.what());
  } catch (const std::exception& e) {
    return error_response(req.version(), req.keep_alive(), 500,
                          std::string("internal error: ") + e.what());
  }
}

// A request the parser refused: answered, then the connection closes (the stream may be
// anywhere inside the bad message).
response parse_error(const error_code& ec) {
  if (ec == http::error::body_limit)
    return error_response(11, false, 413, "request body larger than 1 MiB");
  if (ec == http::error::header_limit)
    return error_response(11, false, 431, "request header larger than 16 KiB");
  return error_response(11, false, 400, "bad request: " + ec.message());
}

// The peer went away or stopped talking: nothing to answer.
bool is_disconnect(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset || ec == asio::error::eof ||
         ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor;
}

}  // namespace

// What outlives the server for as long as a connection's coroutine still runs: `reg` is
// null once the server is gone, and every coroutine checks it after each wait.
namespace detail {
struct api_shared {
  asio::any_io_executor ex;
  registry* reg = nullptr;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  std::set<beast::tcp_stream*> connections;
};
}  // namespace detail

namespace {

asio::awaitable<void> session(std::shared_ptr<detail::api_shared> s, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  s->connections.insert(&stream);
  struct unregister {
    detail::api_shared& s;
    beast::tcp_stream* stream;
    ~unregister() { s.connections.erase(stream); }
  } guard{*s, &stream};

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    stream.expires_after(idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, nothrow);
    if (!s->reg) co_return;
    if (!ec && !parser.is_done()) {
      // curl sends "Expect: 100-continue" before a body over 1 KiB and waits a second for it.
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
        stream.expires_after(write_timeout);
        auto [wec, wn] = co_await http::async_write(stream, go_on, nothrow);
        if (!s->reg) co_return;
        if (wec) break;
        stream.expires_after(idle_timeout);
      }
      std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, nothrow);
      if (!s->reg) co_return;
    }
    if (ec && is_disconnect(ec)) break;
    response res = ec ? parse_error(ec) : answer(*s->reg, parser.get());
    const bool keep_alive = res.keep_alive();
    stream.expires_after(write_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
    if (!s->reg) co_return;
    if (wec || !keep_alive) break;
  }

  // Graceful close: FIN first, then drain what the client still sends until its FIN.
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(linger_for);
  char scratch[4096];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), nothrow);
    if (!s->reg || ec) break;
  }
  stream.close();
}

asio::awaitable<void> accept_loop(std::shared_ptr<detail::api_shared> s,
                                  std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(nothrow);
    if (!s->reg || !acceptor->is_open()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors or memory: wait a moment instead of spinning on the error.
      asio::steady_timer pause(s->ex, std::chrono::milliseconds(100));
      co_await pause.async_wait(nothrow);
      if (!s->reg) co_return;
      continue;
    }
    if (s->connections.size() >= max_connections) {
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(s->ex, session(s, std::move(socket)), asio::detached);
  }
}

}  // namespace

api_server::api_server(asio::any_io_executor ex, registry& reg)
    : shared_(std::make_shared<detail::api_shared>()) {
  shared_->ex = std::move(ex);
  shared_->reg = &reg;
}

api_server::~api_server() {
  shared_->reg = nullptr;
  error_code ignored;
  for (auto& a : shared_->acceptors)
    a->close(ignored);
  // Copy: nothing erases meanwhile (the coroutines run later), but keep the loop obvious.
  const std::vector<beast::tcp_stream*> open(shared_->connections.begin(),
                                             shared_->connections.end());
  for (auto* c : open)
    c->close();
}

std::string api_server::listen(const std::string& address) {
  const auto bad = [&](const std::string& why) {
    return spec_error(400, "API address \"" + address + "\": " + why);
  };
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    throw bad("expected host:port, e.g. 127.0.0.1:8474");
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);

  error_code ec;
  tcp::resolver resolver(shared_->ex);
  const auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw bad("cannot resolve: " + (ec ? ec.message() : std::string("no address")));

  std::string last_error = "no address";
  for (const auto& r : results) {
    auto acceptor = std::make_shared<tcp::acceptor>(shared_->ex);
    const auto ep = r.endpoint();
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    const auto bound = ec ? tcp::endpoint() : acceptor->local_endpoint(ec);
    if (ec) {
      last_error = ec.message();
      continue;
    }
    shared_->acceptors.push_back(acceptor);
    asio::co_spawn(shared_->ex, accept_loop(shared_, acceptor), asio::detached);
    const auto ip = bound.address();
    return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
           std::to_string(bound.port());
  }
  throw bad("cannot listen: " + last_error);
}

response api_server::handle(const request& req) {
  return answer(*shared_->reg, req);
}

}  // namespace ordeal::faults
