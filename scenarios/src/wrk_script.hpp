#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ordeal/engine/http_client.hpp"
#include "ordeal/scenarios/wrk.hpp"
#include "wrk_stats.hpp"

struct lua_State;

namespace ordeal::scenarios {

// A resolved server address, as wrk.lookup() returns and thread.addr holds.
struct wrk_addr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  int socktype = SOCK_STREAM;
  int protocol = 0;

  std::string host() const;       // numeric, without brackets: "127.0.0.1", "::1"
  std::uint16_t port() const;     // host byte order
  std::string to_string() const;  // "127.0.0.1:8080", as wrk prints an address
};

// Every address of host:service (getaddrinfo, TCP). Empty with `error` set on failure.
std::vector<wrk_addr> lookup_addrs(const std::string& host, const std::string& service,
                                   std::string& error);
// Whether a TCP connect to `addr` succeeds within `timeout`.
bool can_connect(const wrk_addr& addr, std::chrono::milliseconds timeout);

class wrk_script;

// What a Lua `thread` object stands for: one wrk thread, seen from the main state (setup,
// done) and from the thread's own state (wrk.thread). Lives until the main state is closed,
// so thread objects a script keeps from setup() still answer thread:get() in done().
struct wrk_thread_link {
  wrk_script* script = nullptr;  // the thread's own state
  wrk_addr addr;                 // where its connections go (thread.addr)
  std::atomic<bool> stop_requested{false};
  // Set while the thread runs, called on its own thread by thread:stop(): wakes its loop.
  std::function<void()> on_stop;
};

// What the script sees of the command line: the wrk table's fields.
struct wrk_target {
  std::string url;
  std::string scheme;
  std::string host;
  std::optional<std::string> port;  // nil when the URL has none, as in wrk
  std::string path;                 // path and query
  engine::header_list headers;      // -H "Name: value"
};

// One Lua state running a wrk script: the main one (setup, done) or a thread's (init, delay,
// request, response). A hook that raises an error is counted under "hook(): message" and the
// run goes on. Not thread-safe: the main state is used before and after the run, a thread's
// state by its thread while it runs.
class wrk_script {
 public:
  // A new state with the standard libraries and the wrk table, then the script file (none
  // when `path` is empty). Throws wrk_script_error with Lua's "file:line: message".
  wrk_script(const wrk_target& target, const std::string& path);
  ~wrk_script();
  wrk_script(const wrk_script&) = delete;
  wrk_script& operator=(const wrk_script&) = delete;

  // Main state: setup(thread), when the script defines it.
  void setup(wrk_thread_link& thread);
  // Thread state, once before the run: wrk.thread, the default Host header, init(args)
  // (args[0] is the URL, args[1..] the script arguments, as in wrk), then the request that
  // never changes is rendered once (wrk.format()) unless request() is defined.
  void init(wrk_thread_link& thread, const std::string& url, const std::vector<std::string>& args);

  // After init(): which hooks the thread calls on its hot path.
  bool dynamic() const noexcept { return dynamic_; }  // request() is defined
  bool has_delay() const noexcept { return has_delay_; }
  bool wants_response() const noexcept { return wants_response_; }
  const std::string& static_request() const noexcept { return static_request_; }

  // request() into `out`; false when it failed (counted).
  bool request(std::string& out);
  // delay() in ms, as a duration; 0 when it failed (counted) or returned no positive number.
  std::chrono::nanoseconds delay();
  void response(int status, const engine::header_list& headers, const std::string& body);

  // Main state, after the report: done(summary, latency, requests), when defined.
  void done(const wrk_results& results, const wrk_stats_view& latency, const wrk_stats_view& rates);

  // Counts a script error found outside Lua (e.g. request() returned bytes that are not a
  // request).
  void count_error(const std::string& message) { ++errors_[message]; }
  const std::map<std::string, std::uint64_t>& errors() const noexcept { return errors_; }
  lua_State* state() const noexcept { return L_; }

 private:
  bool is_function(const char* global) const;
  // Calls the function under the arguments on the stack; on error counts it under `hook`.
  bool call(const char* hook, int nargs, int nresults);

  lua_State* L_ = nullptr;
  bool dynamic_ = false;
  bool has_delay_ = false;
  bool wants_response_ = false;
  std::string static_request_;
  std::map<std::string, std::uint64_t> errors_;
};

}  // namespace ordeal::scenarios
