#include "ordeal/faults/spec.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "ordeal/engine/config_error.hpp"
#include "ordeal/engine/duration.hpp"
#include "toxic.hpp"

namespace ordeal::faults {

namespace json = boost::json;

std::string_view to_string(stream_direction d) noexcept {
  return d == stream_direction::upstream ? "upstream" : "downstream";
}

namespace {

[[noreturn]] void bad(std::string_view where, std::string_view field, std::string_view what) {
  throw spec_error(400, std::string(where) + (where.empty() ? "" : ".") + std::string(field) +
                            ": " + std::string(what));
}

const json::object& as_object(const json::value& v, std::string_view where) {
  if (!v.is_object()) throw spec_error(400, std::string(where) + ": expected an object");
  return v.get_object();
}

std::string string_field(const json::object& o, std::string_view where, std::string_view key,
                         bool required, std::string fallback = {}) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required) bad(where, key, "missing");
    return fallback;
  }
  if (!v->is_string()) bad(where, key, "expected a string");
  return std::string(v->get_string());
}

bool bool_field(const json::object& o, std::string_view where, std::string_view key,
                bool fallback) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) bad(where, key, "expected true or false");
  return v->get_bool();
}

void refuse_unknown(const json::object& o, std::string_view where,
                    std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : o) {
    bool ok = false;
    for (auto k : known)
      ok = ok || k == key;
    if (ok) continue;
    std::string list;
    for (auto k : known)
      list += (list.empty() ? "" : ", ") + std::string(k);
    bad(where, key, "unknown field; expected one of: " + list);
  }
}

stream_direction read_stream(const json::object& o, std::string_view where) {
  const auto s = string_field(o, where, "stream", false, "downstream");
  if (s == "downstream" || s.empty()) return stream_direction::downstream;  // "": toxiproxy's
  if (s == "upstream") return stream_direction::upstream;
  bad(where, "stream", "expected \"upstream\" or \"downstream\", got \"" + s + "\"");
}

double read_toxicity(const json::object& o, std::string_view where, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return 1.0;
  if (!v->is_number()) bad(where, key, "expected a number from 0 to 1");
  const double t = v->to_number<double>();
  if (!(t >= 0 && t <= 1)) bad(where, key, "expected a number from 0 to 1");
  return t;
}

toxicity_draw read_draw(const json::object& o, std::string_view where) {
  const auto s = string_field(o, where, "toxicity_per", false, "connection");
  if (s == "connection") return toxicity_draw::connection;
  if (s == "chunk") return toxicity_draw::chunk;
  bad(where, "toxicity_per", "expected \"connection\" or \"chunk\", got \"" + s + "\"");
}

std::chrono::nanoseconds read_time(const json::value& v, std::string_view where,
                                   std::string_view key) {
  if (v.is_string()) {
    try {
      return engine::parse_duration(v.get_string());
    } catch (const engine::config_error&) {
      bad(where, key,
          "expected a duration such as \"10s\" or \"1m30s\", got \"" + std::string(v.get_string()) +
              "\"");
    }
  }
  if (v.is_number()) {
    const double s = v.to_number<double>();
    if (!(s >= 0) || s > 1e9) bad(where, key, "expected seconds >= 0");
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(s * 1e9)));
  }
  bad(where, key, "expected a duration such as \"10s\" or a number of seconds");
}

}  // namespace

proxy_spec read_proxy(const json::value& v, std::string_view where) {
  const auto& o = as_object(v, where);
  // "toxics" is allowed (and read by --config, ignored by the API), as are the read-only
  // fields toxiproxy's clients send back from a GET.
  refuse_unknown(o, where, {"name", "listen", "upstream", "enabled", "http", "toxics"});
  proxy_spec p;
  p.name = string_field(o, where, "name", true);
  if (p.name.empty() || p.name.find('/') != std::string::npos)
    bad(where, "name", "must be non-empty and without '/'");
  p.listen = string_field(o, where, "listen", false, "127.0.0.1:0");
  p.upstream = string_field(o, where, "upstream", true);
  p.enabled = bool_field(o, where, "enabled", true);
  p.http = bool_field(o, where, "http", false);
  return p;
}

toxic_spec read_toxic(const json::value& v, std::string_view where) {
  const auto& o = as_object(v, where);
  refuse_unknown(o, where, {"name", "type", "stream", "toxicity", "toxicity_per", "attributes"});
  toxic_spec t;
  t.type = string_field(o, where, "type", true);
  t.stream = read_stream(o, where);
  t.name = string_field(o, where, "name", false);
  // Absent or "" (as toxiproxy's Go client sends it): toxiproxy's default name.
  if (t.name.empty()) t.name = t.type + "_" + std::string(to_string(t.stream));
  if (t.name.find('/') != std::string::npos)
    bad(where, "name", "must be non-empty and without '/'");
  t.toxicity = read_toxicity(o, where, "toxicity");
  t.per = read_draw(o, where);
  if (const auto* a = o.if_contains("attributes"); a && !a->is_null()) {
    if (!a->is_object()) bad(where, "attributes", "expected an object");
    t.attributes = a->get_object();
  }
  return t;
}

json::object to_json(const toxic_spec& t) {
  json::object o;
  o["name"] = t.name;
  o["type"] = t.type;
  o["stream"] = to_string(t.stream);
  o["toxicity"] = t.toxicity;
  if (t.per == toxicity_draw::chunk) o["toxicity_per"] = "chunk";
  o["attributes"] = t.attributes;
  return o;
}

namespace {

// A drill's toxic is flat: {type = "latency", latency = "300ms", stream = ..., toxicity = ...};
// what is not a toxic field is an attribute.
toxic_spec read_flat_toxic(const json::value& v, const std::string& where) {
  const auto& o = as_object(v, where);
  toxic_spec t;
  t.type = string_field(o, where, "type", true);
  t.stream = read_stream(o, where);
  t.name = string_field(o, where, "name", false);
  t.toxicity = read_toxicity(o, where, "toxicity");
  t.per = read_draw(o, where);
  for (const auto& [key, value] : o) {
    if (key == "type" || key == "stream" || key == "name" || key == "toxicity" ||
        key == "toxicity_per")
      continue;
    t.attributes[key] = value;
  }
  return t;
}

// {match = {...}, abort = 503, probability = 0.1, ...}: the "http" toxic on the upstream
// stream; its attributes are the table.
toxic_spec read_http_fault(const json::value& v, const std::string& where) {
  const auto& o = as_object(v, where);
  toxic_spec t;
  t.type = "http";
  t.stream = stream_direction::upstream;
  t.name = string_field(o, where, "name", false);
  for (const auto& [key, value] : o)
    if (key != "name") t.attributes[key] = value;
  return t;
}

}  // namespace

fault_plan read_fault_plan(const json::value& proxies, const json::value& faults,
                           std::string_view where) {
  fault_plan plan;
  const std::string base = std::string(where) + ": options.";
  if (!proxies.is_null()) {
    if (!proxies.is_object())
      throw spec_error(400, base + "proxies: expected a table of name = {listen, upstream}");
    for (const auto& [name, value] : proxies.get_object()) {
      const std::string w = base + "proxies." + std::string(name);
      if (!value.is_object()) throw spec_error(400, w + ": expected a table");
      auto copy = value.get_object();
      if (copy.contains("name")) bad(w, "name", "the proxy's name is its key");
      if (copy.contains("toxics")) bad(w, "toxics", "put faults in options.faults");
      copy["name"] = name;
      if (!copy.contains("listen")) bad(w, "listen", "missing (\"127.0.0.1:15432\")");
      plan.proxies.push_back(read_proxy(copy, w));
    }
  }
  if (faults.is_null()) return plan;
  if (!faults.is_array())
    throw spec_error(400, base + "faults: expected a list of {at, duration, proxy, toxic}");
  std::size_t i = 0;
  for (const auto& f : faults.get_array()) {
    ++i;
    const std::string w = base + "faults[" + std::to_string(i) + "]";
    const auto& o = as_object(f, w);
    refuse_unknown(o, w, {"at", "duration", "proxy", "toxic", "http"});
    timed_fault t;
    t.at = o.contains("at") ? read_time(o.at("at"), w, "at") : std::chrono::nanoseconds{};
    if (const auto* d = o.if_contains("duration"); d && !d->is_null())
      t.duration = read_time(*d, w, "duration");
    t.proxy = string_field(o, w, "proxy", true);
    bool known_proxy = false;
    for (const auto& p : plan.proxies)
      known_proxy = known_proxy || p.name == t.proxy;
    if (!known_proxy) bad(w, "proxy", "no proxy \"" + t.proxy + "\" in options.proxies");
    const bool has_toxic = o.contains("toxic"), has_http = o.contains("http");
    if (has_toxic == has_http) bad(w, "toxic", "give exactly one of toxic = {...} or http = {...}");
    std::string tw = w + (has_toxic ? ".toxic" : ".http");
    t.toxic = has_toxic ? read_flat_toxic(o.at("toxic"), tw) : read_http_fault(o.at("http"), tw);
    if (t.toxic.name.empty()) t.toxic.name = "fault" + std::to_string(i) + "_" + t.toxic.type;
    if (has_http) {
      for (const auto& p : plan.proxies)
        if (p.name == t.proxy && !p.http)
          bad(w, "http", "proxy \"" + t.proxy + "\" needs http = true in options.proxies");
    }
    build_toxic(t.toxic, tw, tw);  // every attribute checked now, not at second 75
    plan.timeline.push_back(std::move(t));
  }
  return plan;
}

}  // namespace ordeal::faults
