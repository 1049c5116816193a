#include "ordeal/reporters/idempotency_verdict.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fault_events.hpp"

namespace ordeal::reporters {

namespace json = boost::json;
using engine::attempt_verdict;
using engine::history_entry;

namespace {

constexpr std::size_t max_faults_per_example = 10;
constexpr std::size_t max_hook_error_lines = 3;

// How one attempt counts for consistency.
enum class role : std::uint8_t {
  compared,       // its digest must match the key's reference
  differs,        // compared, and it does not match
  in_flight_409,  // allowed: a 409 while another attempt was in flight or unanswered
  rate_limited,   // allowed: a 429, refused before running
  server_error,   // not compared: a 5xx, the action's fate unknown
  no_response     // not compared: no complete response
};

std::string_view note_of(role r) {
  switch (r) {
    case role::compared:
      return "";
    case role::differs:
      return "differs";
    case role::in_flight_409:
      return "allowed: 409 while another attempt was in flight";
    case role::rate_limited:
      return "allowed: 429";
    case role::server_error:
      return "not compared: 5xx";
    case role::no_response:
      return "not compared: no response";
  }
  return "";
}

struct key_result {
  const std::string* key = nullptr;
  std::vector<const history_entry*> attempts;  // by invoke time
  std::vector<role> roles;
  attempt_verdict outcome = attempt_verdict::fail;
  bool mismatched = false;
  const engine::effect_count* effects = nullptr;  // null: not counted
  std::vector<std::string> problems;
};

std::string seconds(std::int64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(us) / 1e6);
  return buf;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The port of "ip:port" (also "[::1]:port"), 0 when there is none.
std::uint16_t port_of(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  unsigned long port = 0;
  for (std::size_t i = colon + 1; i < address.size(); ++i) {
    if (address[i] < '0' || address[i] > '9') return 0;
    port = port * 10 + static_cast<unsigned long>(address[i] - '0');
    if (port > 65535) return 0;
  }
  return static_cast<std::uint16_t>(port);
}

bool overlaps(const history_entry& a, const history_entry& b) {
  return a.invoke_us < b.complete_us && b.invoke_us < a.complete_us;
}

// Sorts the attempts of one key into their roles and finds the ones that differ.
void judge_consistency(key_result& k) {
  const auto& as = k.attempts;
  k.roles.assign(as.size(), role::compared);
  for (std::size_t i = 0; i < as.size(); ++i) {
    const history_entry& a = *as[i];
    if (a.response_digest == 0) {
      k.roles[i] = role::no_response;
    } else if (a.status >= 500) {
      k.roles[i] = role::server_error;
    } else if (a.status == 429) {
      k.roles[i] = role::rate_limited;
    } else if (a.status == 409) {
      // In flight: overlapping on the client's clock, or begun earlier and never answered (the
      // server may still have been running it: a timeout, a reset, an abandoned attempt, a 5xx).
      for (std::size_t j = 0; j < as.size(); ++j) {
        if (j == i) continue;
        const history_entry& b = *as[j];
        const bool unanswered = b.response_digest == 0 || b.status >= 500;
        if (overlaps(a, b) || (b.invoke_us <= a.invoke_us && unanswered)) {
          k.roles[i] = role::in_flight_409;
          break;
        }
      }
    }
  }
  // The reference: the first compared success, else the first compared attempt.
  std::optional<std::size_t> reference;
  for (std::size_t i = 0; i < as.size() && !reference; ++i)
    if (k.roles[i] == role::compared && as[i]->verdict == attempt_verdict::ok) reference = i;
  for (std::size_t i = 0; i < as.size() && !reference; ++i)
    if (k.roles[i] == role::compared) reference = i;
  if (!reference) return;
  const history_entry& ref = *as[*reference];
  for (std::size_t i = 0; i < as.size(); ++i) {
    if (k.roles[i] != role::compared || as[i]->response_digest == ref.response_digest) continue;
    k.roles[i] = role::differs;
    if (!k.mismatched) {
      k.mismatched = true;
      k.problems.push_back("mismatch: attempt " + std::to_string(as[i]->attempt) + " (" +
                           std::string(engine::to_string(as[i]->kind)) + ") answered " +
                           std::to_string(as[i]->status) + " differently from attempt " +
                           std::to_string(ref.attempt) + " (" +
                           std::string(engine::to_string(ref.kind)) + ", " +
                           std::to_string(ref.status) + ")");
    }
  }
}

struct counts {
  std::uint64_t operations = 0;
  std::uint64_t keys = 0;
  std::uint64_t consistent = 0;
  std::uint64_t mismatched = 0;
  std::uint64_t counted = 0;  // keys with an effects count
  std::uint64_t exactly_once = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t lost = 0;
  std::uint64_t unexpected = 0;  // an effect although every attempt definitely failed
  std::uint64_t hook_errors = 0;
  std::uint64_t unchecked = 0;  // keys the hook was not run for
  std::uint64_t allowed_409 = 0;
  std::uint64_t allowed_429 = 0;
  std::uint64_t not_compared = 0;  // attempts: 5xx or no complete response
};

// Rules of exactly-once on one key; true when they hold.
bool judge_effects(key_result& k, counts& c) {
  if (k.effects == nullptr) return true;
  if (!k.effects->count) {
    ++c.hook_errors;
    k.problems.push_back("effects hook failed: " + k.effects->error);
    return false;
  }
  ++c.counted;
  const std::uint64_t n = *k.effects->count;
  const std::string outcome(engine::to_string(k.outcome));
  if (n > 1) {
    ++c.duplicated;
    k.problems.push_back("duplicated: " + std::to_string(n) + " effects for outcome " + outcome +
                         (k.outcome == attempt_verdict::ok     ? " (expected exactly 1)"
                          : k.outcome == attempt_verdict::info ? " (expected 0 or 1)"
                                                               : " (expected 0)"));
    return false;
  }
  if (k.outcome == attempt_verdict::ok && n == 0) {
    ++c.lost;
    k.problems.push_back("lost: 0 effects for outcome ok (expected exactly 1)");
    return false;
  }
  if (k.outcome == attempt_verdict::fail && n == 1) {
    ++c.unexpected;
    k.problems.push_back("unexpected: 1 effect although every attempt failed (expected 0)");
    return false;
  }
  ++c.exactly_once;
  return true;
}

// The fault events that hit the key's attempts: hits on one of their connections (the client
// port) up to the attempt's end, and hits with no client inside the key's time span.
std::vector<const engine::fault_event*> faults_for(const key_result& k,
                                                   const std::vector<engine::fault_event>& events) {
  std::vector<const engine::fault_event*> out;
  if (k.attempts.empty()) return out;
  std::int64_t first = k.attempts.front()->invoke_us;
  std::int64_t last = first;
  for (const auto* a : k.attempts) {
    first = std::min(first, a->invoke_us);
    last = std::max(last, a->complete_us);
  }
  for (const auto& e : events) {
    if (e.what != engine::fault_event::kind::hit) continue;
    const std::uint16_t port = port_of(e.client);
    bool hit = false;
    if (port != 0) {
      for (const auto* a : k.attempts)
        if (a->client_port == port && e.at_us <= a->complete_us) hit = true;
    } else {
      hit = e.at_us >= first && e.at_us <= last;
    }
    if (hit) out.push_back(&e);
    if (out.size() == max_faults_per_example) break;
  }
  return out;
}

json::object attempt_json(const history_entry& a, role r) {
  json::object o;
  o["operation"] = a.operation;
  o["attempt"] = a.attempt;
  o["kind"] = engine::to_string(a.kind);
  o["verdict"] = engine::to_string(a.verdict);
  o["outcome"] = engine::to_string(a.result);
  o["status"] = a.status;
  o["invoke_us"] = a.invoke_us;
  o["complete_us"] = a.complete_us;
  if (a.client_port != 0) o["client_port"] = a.client_port;
  if (a.response_digest != 0) o["digest"] = hex(a.response_digest);
  if (!a.response_excerpt.empty()) o["excerpt"] = a.response_excerpt;
  if (!a.error.empty()) o["error"] = a.error;
  if (const auto note = note_of(r); !note.empty()) o["note"] = note;
  return o;
}

// The console's lines, from the evidence (one source for the console and the JSON).
std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

std::int64_t number_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

std::string attempt_line(const json::object& a) {
  std::string line =
      "#" + text_of(a, "attempt") + " " + text_of(a, "kind") + " " + text_of(a, "verdict") + " ";
  line += number_of(a, "status") > 0 ? text_of(a, "status") : text_of(a, "outcome");
  line += " " + seconds(number_of(a, "invoke_us")) + "-" + seconds(number_of(a, "complete_us"));
  if (a.contains("client_port")) line += " port " + text_of(a, "client_port");
  if (a.contains("note")) line += " [" + text_of(a, "note") + "]";
  if (a.contains("excerpt")) line += ": " + text_of(a, "excerpt");
  if (a.contains("error")) line += ": " + text_of(a, "error");
  return line;
}

std::string fault_line(const json::object& e) {
  std::string line = "fault " + text_of(e, "proxy") + "/" + text_of(e, "fault") + " (" +
                     text_of(e, "type") + ") hit";
  if (e.contains("client")) line += " " + text_of(e, "client");
  line += " at " + seconds(number_of(e, "at_us"));
  if (e.contains("detail")) line += ": " + text_of(e, "detail");
  return line;
}

// "key K (name, METHOD target, outcome ok, 2 effects): problem; problem"
std::string example_line(const json::object& x) {
  std::string line = "key " + text_of(x, "key") + " (" + text_of(x, "name") + ", " +
                     text_of(x, "method") + " " + text_of(x, "target") + ", outcome " +
                     text_of(x, "outcome");
  if (x.contains("effects")) line += ", " + text_of(x, "effects") + " effects";
  line += "): ";
  const auto& problems = x.at("problems").as_array();
  for (std::size_t i = 0; i < problems.size(); ++i)
    line += (i ? "; " : "") + std::string(problems[i].as_string());
  return line;
}

}  // namespace

verdict idempotency_verdict(const engine::script_results& r, std::size_t max_examples) {
  verdict v;
  v.kind = verdict_kind::idempotency;
  v.name = "idempotency";

  // The attempts of each key, keys in order of first use.
  std::vector<key_result> keys;
  std::unordered_map<std::string_view, std::size_t> index;
  std::vector<std::uint64_t> operations;
  for (const auto& h : r.history) {
    if (h.key.empty()) continue;
    operations.push_back(h.operation);
    auto [it, inserted] = index.try_emplace(h.key, keys.size());
    if (inserted) {
      keys.emplace_back();
      keys.back().key = &h.key;
    }
    keys[it->second].attempts.push_back(&h);
  }
  std::sort(operations.begin(), operations.end());
  counts c;
  c.operations = static_cast<std::uint64_t>(std::unique(operations.begin(), operations.end()) -
                                            operations.begin());
  c.keys = keys.size();
  for (auto& k : keys)
    std::stable_sort(k.attempts.begin(), k.attempts.end(),
                     [](const auto* a, const auto* b) { return a->invoke_us < b->invoke_us; });
  std::stable_sort(keys.begin(), keys.end(), [](const key_result& a, const key_result& b) {
    return a.attempts.front()->invoke_us < b.attempts.front()->invoke_us;
  });

  std::vector<const key_result*> failing;
  for (auto& k : keys) {
    for (const auto* a : k.attempts)
      k.outcome = engine::combine_outcome(k.outcome, a->verdict);
    judge_consistency(k);
    for (const role x : k.roles) {
      if (x == role::in_flight_409) ++c.allowed_409;
      if (x == role::rate_limited) ++c.allowed_429;
      if (x == role::server_error || x == role::no_response) ++c.not_compared;
    }
    (k.mismatched ? c.mismatched : c.consistent) += 1;
    bool ok = !k.mismatched;
    if (r.effects.hook) {
      const auto e = r.effects.by_key.find(*k.key);
      if (e == r.effects.by_key.end())
        ++c.unchecked;
      else
        k.effects = &e->second;
      ok = judge_effects(k, c) && ok;
    }
    if (!ok) failing.push_back(&k);
  }

  json::object evidence;
  evidence["operations"] = c.operations;
  evidence["keys"] = c.keys;
  evidence["consistent"] = c.consistent;
  evidence["mismatched"] = c.mismatched;
  evidence["effects_checked"] = r.effects.hook;
  if (r.effects.hook) {
    evidence["counted"] = c.counted;
    evidence["exactly_once"] = c.exactly_once;
    evidence["duplicated"] = c.duplicated;
    evidence["lost"] = c.lost;
    evidence["unexpected"] = c.unexpected;
    evidence["hook_errors"] = c.hook_errors;
    evidence["unchecked"] = c.unchecked;
    if (!r.effects.stopped.empty()) evidence["effects_stopped"] = r.effects.stopped;
    evidence["effects_took_us"] = r.effects.took.count();
  }
  evidence["allowed_409"] = c.allowed_409;
  evidence["allowed_429"] = c.allowed_429;
  evidence["not_compared"] = c.not_compared;

  json::array examples;
  for (const auto* k : failing) {
    if (examples.size() == max_examples) break;
    const history_entry& first = *k->attempts.front();
    json::object x;
    x["key"] = *k->key;
    x["name"] = first.name;
    x["method"] = first.method;
    x["target"] = first.target;
    x["outcome"] = engine::to_string(k->outcome);
    if (k->effects && k->effects->count)
      x["effects"] = *k->effects->count;
    else if (k->effects)
      x["effects_error"] = k->effects->error;
    json::array problems;
    for (const auto& p : k->problems)
      problems.emplace_back(p);
    x["problems"] = std::move(problems);
    json::array attempts;
    for (std::size_t i = 0; i < k->attempts.size(); ++i)
      attempts.push_back(attempt_json(*k->attempts[i], k->roles[i]));
    x["attempts"] = std::move(attempts);
    json::array faults;
    for (const auto* e : faults_for(*k, r.faults))
      faults.push_back(detail::fault_event_json(*e));
    x["faults"] = std::move(faults);
    examples.push_back(std::move(x));
  }
  evidence["examples"] = std::move(examples);

  const std::uint64_t violated = failing.size();
  v.passed = violated == 0;
  if (v.passed && c.keys == 0) {
    // Most likely a drill that forgot its keys: say so rather than "0 keys: consistent".
    v.measured =
        "no request carried an idempotency key (idempotency_key = true, or an "
        "Idempotency-Key header)";
  } else if (v.passed) {
    v.measured = std::to_string(c.keys) + (c.keys == 1 ? " key" : " keys") + ": consistent";
    v.measured += r.effects.hook ? ", exactly once" : " (effects not counted: no effects hook)";
    if (c.unchecked > 0 && r.effects.stopped.empty())
      v.measured += "; " + std::to_string(c.unchecked) + " not counted";
  } else {
    v.measured = std::to_string(violated) + " of " + std::to_string(c.keys) + " keys violated";
    std::string parts;
    const auto part = [&](std::uint64_t n, const char* what) {
      if (n == 0) return;
      parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    };
    part(c.mismatched, "mismatched");
    part(c.duplicated, "duplicated");
    part(c.lost, "lost");
    part(c.unexpected, "unexpected");
    part(c.hook_errors, c.hook_errors == 1 ? "hook error" : "hook errors");
    v.measured += " (" + parts + ")";
    v.reasons.push_back(v.measured + "; " + std::to_string(c.operations) + " operations");
    // Hook errors by message: a broken hook says the same thing for every key.
    std::map<std::string, std::pair<std::uint64_t, const std::string*>> errors;
    for (const auto& k : keys)
      if (k.effects && !k.effects->count) {
        auto& e = errors[k.effects->error];
        if (e.first++ == 0) e.second = k.key;
      }
    std::size_t lines = 0;
    for (const auto& [message, e] : errors) {
      if (lines++ == max_hook_error_lines) break;
      v.reasons.push_back("effects hook failed for " + std::to_string(e.first) +
                          (e.first == 1 ? " key" : " keys") + " (first: " + *e.second +
                          "): " + message);
    }
    // One line per example; their timelines are in the evidence (and the console's
    // Idempotency section).
    for (const auto& x : evidence.at("examples").as_array())
      v.reasons.push_back(example_line(x.as_object()));
  }
  if (!r.effects.stopped.empty()) {
    const std::string note = "effects phase stopped early: " + r.effects.stopped + "; " +
                             std::to_string(r.effects.unchecked) + " keys not counted";
    if (!v.passed) v.reasons.push_back(note);
    v.measured += "; " + note;
  }
  v.evidence = std::move(evidence);
  return v;
}

void write_idempotency_section(std::ostream& out, const verdict& v) {
  if (v.passed || !v.evidence.is_object()) return;
  const auto* examples = v.evidence.as_object().if_contains("examples");
  if (examples == nullptr || !examples->is_array() || examples->as_array().empty()) return;
  out << "\nidempotency: the first " << examples->as_array().size()
      << " failing keys, every attempt and the faults that hit them\n";
  for (const auto& value : examples->as_array()) {
    const auto& x = value.as_object();
    out << "    " << example_line(x) << '\n';
    if (x.contains("effects_error"))
      out << "      effects hook: " << text_of(x, "effects_error") << '\n';
    for (const auto& a : x.at("attempts").as_array())
      out << "      " << attempt_line(a.as_object()) << '\n';
    for (const auto& e : x.at("faults").as_array())
      out << "      " << fault_line(e.as_object()) << '\n';
  }
}

}  // namespace ordeal::reporters
