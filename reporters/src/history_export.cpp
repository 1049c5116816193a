#include "ordeal/reporters/history_export.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <map>
#include <vector>

#include "fault_events.hpp"

namespace ordeal::reporters {

namespace json = boost::json;

namespace {

using engine::integrity_type;

// Where a line comes from. Lines of one microsecond go in this order: a fault that starts then
// is already on; an operation that ends then frees its process for one that starts then.
enum class source : std::uint8_t {
  fault,
  add_complete,
  read_complete,
  attempt,
  check,
  add_invoke,
  read_invoke
};

constexpr int rank(source s) noexcept {
  switch (s) {
    case source::fault:
      return 0;
    case source::add_complete:
    case source::read_complete:
      return 1;
    case source::attempt:
    case source::check:
      return 2;
    case source::add_invoke:
    case source::read_invoke:
      return 3;
  }
  return 2;
}

struct line {
  std::int64_t us = 0;
  source from = source::attempt;
  std::size_t seq = 0;  // keeps the record's order among equals
  const void* item = nullptr;
  const engine::integrity_checker* checker = nullptr;
  std::size_t logical = 0;  // integrity: the operation's slot in `processes`
};

// Jepsen's f for what integrity.add recorded.
const char* add_f(integrity_type t) {
  switch (t) {
    case integrity_type::unique:
      return "generate";  // Jepsen's unique-ids workload
    case integrity_type::bank:
      return "transfer";
    default:
      return "add";
  }
}

json::value parse_or_string(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(json::string(text)) : v;
}

void put_integrity(json::object& o, const engine::integrity_checker& c) {
  o["entry"] = "integrity";
  o["checker"] = c.name;
  o["checker_type"] = engine::to_string(c.type);
}

void put_attempt(json::object& o, const engine::history_entry& h) {
  o["type"] = "info";
  o["f"] = "http";
  o["process"] = "http";
  o["entry"] = "attempt";
  o["operation"] = h.operation;
  o["attempt"] = h.attempt;
  o["kind"] = engine::to_string(h.kind);
  o["verdict"] = engine::to_string(h.verdict);
  o["outcome"] = engine::to_string(h.result);
  o["status"] = h.status;
  o["name"] = h.name;
  o["key"] = h.key;
  o["method"] = h.method;
  o["target"] = h.target;
  o["vu"] = h.vu;
  if (h.client_port != 0) o["client_port"] = h.client_port;
  o["invoke_us"] = h.invoke_us;
  o["complete_us"] = h.complete_us;
  if (!h.error.empty()) o["error"] = h.error;
  if (h.response_digest != 0) {
    // Hex text: a 64-bit number loses digits in JavaScript's doubles.
    char digest[24];
    std::snprintf(digest, sizeof digest, "%016llx",
                  static_cast<unsigned long long>(h.response_digest));
    o["response_digest"] = digest;
    o["response_excerpt"] = h.response_excerpt;
  }
}

void put_fault(json::object& o, const engine::fault_event& e) {
  json::object fields = detail::fault_event_json(e);
  o["type"] = "info";
  o["f"] = fields.contains("event") ? fields.at("event") : json::value("fault");
  o["process"] = "nemesis";
  o["entry"] = "fault";
  for (auto& member : fields) {
    // The fault's own type ("latency") cannot share the line's "type" key.
    if (member.key() == "type")
      o["fault_type"] = member.value();
    else
      o[member.key()] = member.value();
  }
}

// Jepsen's processes are single-threaded and never invoke again after an indeterminate (info)
// completion. A virtual user is one owner; it gets a fresh process when its current one is busy
// (two values recorded for one response) or crashed (its last operation ended info).
class process_table {
 public:
  explicit process_table(std::uint64_t first_fresh) : next_(first_fresh) {}

  std::uint64_t acquire(std::uint64_t owner) {
    auto& pool = owners_[owner];
    for (auto& p : pool) {
      if (!p.busy && !p.crashed) {
        p.busy = true;
        return p.id;
      }
    }
    // An owner's first process is its own id (a virtual user's; 0 for the monitor); fresh ones
    // come after every owner's.
    const std::uint64_t id = pool.empty() ? owner : next_++;
    pool.push_back({id, true, false});
    return id;
  }
  void release(std::uint64_t owner, std::uint64_t id, bool crashed) {
    for (auto& p : owners_[owner])
      if (p.id == id) p.busy = false, p.crashed = crashed;
  }

 private:
  struct process {
    std::uint64_t id;
    bool busy;
    bool crashed;
  };
  std::map<std::uint64_t, std::vector<process>> owners_;
  std::uint64_t next_;
};

}  // namespace

void write_history(std::ostream& out, const engine::script_results& r) {
  std::vector<line> lines;
  std::size_t seq = 0;
  for (const auto& e : r.faults)
    lines.push_back({e.at_us, source::fault, seq++, &e});
  for (const auto& h : r.history)
    lines.push_back({h.invoke_us, source::attempt, seq++, &h});
  std::size_t logical = 0;
  std::uint64_t max_owner = 0;
  for (const auto& c : r.integrity.checkers) {
    for (const auto& op : c.ops) {
      lines.push_back({op.invoke_us, source::add_invoke, seq++, &op, &c, logical});
      lines.push_back({op.complete_us, source::add_complete, seq++, &op, &c, logical++});
      max_owner = std::max(max_owner, op.vu);
    }
    for (const auto& rd : c.reads) {
      if (c.type == integrity_type::invariant) {
        lines.push_back({rd.invoke_us, source::check, seq++, &rd, &c});
        continue;
      }
      lines.push_back({rd.invoke_us, source::read_invoke, seq++, &rd, &c, logical});
      lines.push_back({rd.complete_us, source::read_complete, seq++, &rd, &c, logical++});
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const line& a, const line& b) {
    if (a.us != b.us) return a.us < b.us;
    if (rank(a.from) != rank(b.from)) return rank(a.from) < rank(b.from);
    return a.seq < b.seq;
  });

  process_table table(max_owner + 1);
  std::vector<std::uint64_t> processes(logical, 0);
  out << "[";
  std::uint64_t index = 0;
  for (const auto& l : lines) {
    json::object o;
    // Jepsen's keys first, so that a line reads like Jepsen's own histories.
    o["type"] = "info";
    o["f"] = "";
    o["process"] = "";
    o["time"] = l.us * 1000;
    o["index"] = index;
    switch (l.from) {
      case source::fault:
        put_fault(o, *static_cast<const engine::fault_event*>(l.item));
        break;
      case source::attempt:
        put_attempt(o, *static_cast<const engine::history_entry*>(l.item));
        break;
      case source::add_invoke:
      case source::add_complete: {
        const auto& op = *static_cast<const engine::integrity_op*>(l.item);
        const bool invoke = l.from == source::add_invoke;
        if (invoke) processes[l.logical] = table.acquire(op.vu);
        const std::uint64_t process = processes[l.logical];
        if (!invoke) table.release(op.vu, process, op.kind == engine::attempt_verdict::info);
        o["type"] = invoke ? std::string_view("invoke") : engine::to_string(op.kind);
        o["f"] = add_f(l.checker->type);
        // A generated id is known once the operation returns.
        if (!(invoke && l.checker->type == integrity_type::unique))
          o["value"] = parse_or_string(op.value);
        o["process"] = process;
        put_integrity(o, *l.checker);
        o["operation"] = op.operation;
        o["vu"] = op.vu;
        break;
      }
      case source::read_invoke:
      case source::read_complete: {
        const auto& rd = *static_cast<const engine::integrity_read*>(l.item);
        const bool invoke = l.from == source::read_invoke;
        if (invoke) processes[l.logical] = table.acquire(0);
        const std::uint64_t process = processes[l.logical];
        // A read has no effect: one that errored is a fail, and the process stays usable.
        if (!invoke) table.release(0, process, false);
        o["type"] = invoke ? "invoke" : rd.error.empty() ? "ok" : "fail";
        o["f"] = "read";
        if (!invoke && rd.error.empty() && !rd.value.empty())
          o["value"] = parse_or_string(rd.value);
        o["process"] = process;
        put_integrity(o, *l.checker);
        o["phase"] = engine::to_string(rd.phase);
        if (!invoke) {
          if (rd.checked) o["passed"] = rd.passed;
          if (!rd.message.empty()) o["message"] = rd.message;
          if (!rd.error.empty()) o["error"] = rd.error;
        }
        break;
      }
      case source::check: {
        const auto& rd = *static_cast<const engine::integrity_read*>(l.item);
        o["type"] = "info";
        o["f"] = "check";
        o["process"] = "monitor";
        put_integrity(o, *l.checker);
        o["phase"] = engine::to_string(rd.phase);
        o["complete_us"] = rd.complete_us;
        if (rd.checked) o["passed"] = rd.passed;
        if (!rd.message.empty()) o["message"] = rd.message;
        if (!rd.error.empty()) o["error"] = rd.error;
        break;
      }
    }
    out << (index == 0 ? "\n" : ",\n") << json::serialize(o);
    ++index;
  }
  out << "\n]\n";
}

}  // namespace ordeal::reporters
