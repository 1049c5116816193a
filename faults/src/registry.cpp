#include "registry.hpp"

#include <boost/json.hpp>

#include "proxy.hpp"

namespace ordeal::faults {

namespace json = boost::json;

namespace {

engine::fault_event change_event(engine::fault_event::kind what, const std::string& proxy,
                                 const toxic_spec& t, std::string detail = {}) {
  engine::fault_event e;
  e.what = what;
  e.proxy = proxy;
  e.fault = t.name;
  e.type = t.type;
  e.stream = t.type == "down" ? "" : std::string(to_string(t.stream));
  e.detail = std::move(detail);
  return e;
}

engine::fault_event enabled_event(bool enabled, const std::string& proxy) {
  engine::fault_event e;
  e.what = enabled ? engine::fault_event::kind::stop : engine::fault_event::kind::start;
  e.proxy = proxy;
  e.fault = "disabled";
  e.type = "down";
  e.detail = enabled ? "proxy enabled" : "proxy disabled";
  return e;
}

}  // namespace

registry::registry(boost::asio::any_io_executor ex, std::uint64_t seed, event_log& events)
    : ex_(std::move(ex)), seed_(seed), events_(events) {}

registry::~registry() = default;

proxy& registry::find(std::string_view name) const {
  const auto it = proxies_.find(name);
  if (it == proxies_.end()) throw spec_error(404, "proxy not found");
  return *it->second;
}

namespace {

json::object proxy_to_json(const proxy& p) {
  json::object o;
  o["name"] = p.spec().name;
  o["listen"] = p.listen_address();
  o["upstream"] = p.spec().upstream;
  o["enabled"] = p.spec().enabled;
  if (p.spec().http) o["http"] = true;
  json::array toxics;
  for (const auto& t : p.toxics())
    toxics.push_back(to_json(t->spec()));
  o["toxics"] = std::move(toxics);
  return o;
}

}  // namespace

json::object registry::proxies_json() const {
  json::object o;
  for (const auto& [name, p] : proxies_)
    o[name] = proxy_to_json(*p);
  return o;
}

json::object registry::proxy_json(std::string_view name) const {
  return proxy_to_json(find(name));
}

json::object registry::create_proxy(const proxy_spec& spec) {
  if (proxies_.contains(spec.name)) throw spec_error(409, "proxy already exists");
  auto p = std::make_unique<proxy>(ex_, spec, seed_, events_);
  auto& ref = *p;
  proxies_.emplace(spec.name, std::move(p));
  if (!spec.enabled) events_.record(enabled_event(false, spec.name));
  return proxy_to_json(ref);
}

json::object registry::update_proxy(std::string_view name, const json::object& patch) {
  auto& p = find(name);
  proxy_spec next = p.spec();
  for (const auto& [key, value] : patch) {
    if (key == "listen" || key == "upstream") {
      if (!value.is_string()) throw spec_error(400, std::string(key) + ": expected a string");
      const std::string text(value.get_string());
      // A client that sends back the proxy it got sends the bound address: no change.
      if (key == "listen" && text == p.listen_address()) continue;
      (key == "listen" ? next.listen : next.upstream) = text;
    } else if (key == "enabled") {
      if (!value.is_bool()) throw spec_error(400, "enabled: expected true or false");
      next.enabled = value.get_bool();
    } else if (key == "name") {
      if (!value.is_string() || value.get_string() != name)
        throw spec_error(400, "name: a proxy cannot be renamed");
    } else if (key == "http") {
      if (!value.is_bool() || value.get_bool() != p.spec().http)
        throw spec_error(400, "http: cannot change (delete the proxy and create another)");
    } else if (key == "toxics") {
      // Read-only here (clients send back what they got); toxics have their own routes.
    } else {
      throw spec_error(400,
                       std::string(key) + ": unknown field; expected listen, upstream or enabled");
    }
  }
  const bool was = p.spec().enabled;
  p.update(next);
  if (was != next.enabled) events_.record(enabled_event(next.enabled, next.name));
  return proxy_to_json(p);
}

void registry::delete_proxy(std::string_view name) {
  auto& p = find(name);
  for (const auto& t : p.toxics())
    events_.record(
        change_event(engine::fault_event::kind::stop, p.spec().name, t->spec(), "proxy deleted"));
  proxies_.erase(proxies_.find(name));
}

json::array registry::toxics_json(std::string_view proxy_name) const {
  json::array a;
  for (const auto& t : find(proxy_name).toxics())
    a.push_back(to_json(t->spec()));
  return a;
}

json::object registry::toxic_json(std::string_view proxy_name, std::string_view toxic) const {
  const auto t = find(proxy_name).find_toxic(toxic);
  if (!t) throw spec_error(404, "toxic not found");
  return to_json(t->spec());
}

json::object registry::add_toxic(std::string_view proxy_name, const toxic_spec& spec) {
  auto& p = find(proxy_name);
  if (p.find_toxic(spec.name)) throw spec_error(409, "toxic already exists");
  if (spec.type == "http" && !p.spec().http)
    throw spec_error(400, "type: the http toxic needs a proxy with \"http\": true");
  auto t = build_toxic(spec, "toxic", "attributes");
  auto list = p.toxics();
  list.push_back(t);
  // The start first: open connections record their hits as the toxic reaches them.
  events_.record(change_event(engine::fault_event::kind::start, p.spec().name, spec));
  p.set_toxics(std::move(list));
  return to_json(spec);
}

json::object registry::update_toxic(std::string_view proxy_name, std::string_view toxic,
                                    const json::object& patch) {
  auto& p = find(proxy_name);
  const auto old = p.find_toxic(toxic);
  if (!old) throw spec_error(404, "toxic not found");
  auto next = old->spec();
  json::object merged = to_json(next);
  for (const auto& [key, value] : patch) {
    if (key == "attributes") {
      if (!value.is_object()) throw spec_error(400, "attributes: expected an object");
      auto& attrs = merged["attributes"].as_object();
      for (const auto& [k, v] : value.get_object())
        attrs[k] = v;
    } else if (key == "name" || key == "type") {
      if (!value.is_string() || value.get_string() != merged[key].as_string())
        throw spec_error(400, std::string(key) +
                                  ": cannot change (remove the toxic and add "
                                  "another)");
    } else {
      merged[key] = value;
    }
  }
  next = read_toxic(merged, "toxic");
  auto t = build_toxic(next, "toxic", "attributes");
  auto list = p.toxics();
  for (auto& x : list)
    if (x == old) x = t;
  events_.record(change_event(engine::fault_event::kind::start, p.spec().name, next, "updated"));
  p.set_toxics(std::move(list));
  return to_json(next);
}

void registry::remove_toxic(std::string_view proxy_name, std::string_view toxic) {
  auto& p = find(proxy_name);
  const auto old = p.find_toxic(toxic);
  if (!old) throw spec_error(404, "toxic not found");
  auto list = p.toxics();
  std::erase(list, old);
  p.set_toxics(std::move(list));
  events_.record(change_event(engine::fault_event::kind::stop, p.spec().name, old->spec()));
}

void registry::reset() {
  for (auto& [name, p] : proxies_) {
    const auto toxics = p->toxics();
    p->set_toxics({});
    for (const auto& t : toxics)
      events_.record(change_event(engine::fault_event::kind::stop, name, t->spec(), "reset"));
    if (!p->spec().enabled) {
      auto spec = p->spec();
      spec.enabled = true;
      try {
        p->update(spec);
        events_.record(enabled_event(true, name));
      } catch (const spec_error&) {
        // The port was taken while the proxy was down: it stays down, the others reset.
      }
    }
  }
}

}  // namespace ordeal::faults
