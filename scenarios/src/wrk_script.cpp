#include "wrk_script.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <lua.hpp>

namespace ordeal::scenarios {
namespace {

constexpr const char* addr_type = "wrk.addr";
constexpr const char* stats_type = "wrk.stats";
constexpr const char* thread_type = "wrk.thread";
// Nested tables deeper than this are refused by thread:get/set (it also stops cycles).
constexpr int max_transfer_depth = 32;
constexpr std::chrono::milliseconds connect_check_timeout{2000};

// The wrk table and wrk.format, in Lua (wrk's API is defined by its Lua behaviour). The chunk
// returns the table and the helpers ordeal calls, which run in protected calls: a script that
// replaces `wrk` or puts a metatable on _G must get an error, not abort the process.
constexpr const char* prelude = R"lua(
local wrk = {
  scheme  = "http",
  host    = "localhost",
  port    = nil,
  method  = "GET",
  path    = "/",
  headers = {},
  body    = nil,
  thread  = nil,
}

local function header_value(headers, name)
  for k, v in pairs(headers) do
    if type(k) == "string" and k:lower() == name then return v end
  end
end

function wrk.format(method, path, headers, body)
  method  = method  or wrk.method
  path    = path    or wrk.path
  headers = headers or wrk.headers
  body    = body    or wrk.body
  local lines = { string.format("%s %s HTTP/1.1", method, path) }
  local has_host = false
  for name, value in pairs(headers) do
    local lower = tostring(name):lower()
    if lower == "host" then has_host = true end
    -- The body alone decides Content-Length, as in wrk.
    if lower ~= "content-length" then
      lines[#lines + 1] = string.format("%s: %s", name, value)
    end
  end
  if not has_host then
    local host = header_value(wrk.headers, "host")
    if host then lines[#lines + 1] = "Host: " .. host end
  end
  if body then lines[#lines + 1] = "Content-Length: " .. string.len(body) end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""
  return table.concat(lines, "\r\n")
end

-- What ordeal calls around the script's hooks (kept out of the wrk table scripts see).
local internal = {}

function internal.default_host()
  if header_value(wrk.headers, "host") then return end
  local host = wrk.host
  if host:find(":", 1, true) then host = "[" .. host .. "]" end
  if wrk.port then host = host .. ":" .. wrk.port end
  wrk.headers["Host"] = host
end

function internal.set_thread(thread)
  wrk.thread = thread
end

function internal.render()
  return wrk.format()
end

return wrk, internal
)lua";

constexpr const char* internal_key = "ordeal.wrk.internal";

// ---- addresses ----------------------------------------------------------------------------

wrk_addr* check_addr(lua_State* L, int index) {
  return static_cast<wrk_addr*>(luaL_checkudata(L, index, addr_type));
}

void push_addr(lua_State* L, const wrk_addr& a) {
  auto* ud = static_cast<wrk_addr*>(lua_newuserdatauv(L, sizeof(wrk_addr), 0));
  *ud = a;  // trivially copyable: no __gc needed
  luaL_setmetatable(L, addr_type);
}

int addr_tostring(lua_State* L) {
  const wrk_addr* a = check_addr(L, 1);
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  const int rc = getnameinfo(reinterpret_cast<const sockaddr*>(&a->storage), a->length, host,
                             sizeof host, service, sizeof service, NI_NUMERICHOST | NI_NUMERICSERV);
  if (rc != 0) return luaL_error(L, "addr tostring failed: %s", gai_strerror(rc));
  lua_pushfstring(L, "%s:%s", host, service);
  return 1;
}

int wrk_lookup(lua_State* L) {
  const char* host = lua_tostring(L, 1);
  const char* service = lua_tostring(L, 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host, service, &hints, &found);
  if (rc != 0)
    return luaL_error(L, "unable to resolve %s:%s: %s", host ? host : "", service ? service : "",
                      gai_strerror(rc));
  lua_newtable(L);
  lua_Integer i = 1;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    wrk_addr a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    a.family = ai->ai_family;
    a.socktype = ai->ai_socktype;
    a.protocol = ai->ai_protocol;
    push_addr(L, a);
    lua_rawseti(L, -2, i++);
  }
  freeaddrinfo(found);
  return 1;
}

int wrk_connect(lua_State* L) {
  const wrk_addr* a = check_addr(L, 1);
  lua_pushboolean(L, can_connect(*a, connect_check_timeout));
  return 1;
}

// ---- values between states (thread:get / thread:set) --------------------------------------

// nullptr when the value at `index` may cross to another state (boolean, nil, number, string
// or tables of those, as in wrk), else what the first value that may not is.
const char* untransferable(lua_State* L, int index, int depth) {
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
    case LUA_TBOOLEAN:
    case LUA_TNIL:
    case LUA_TNUMBER:
    case LUA_TSTRING:
      return nullptr;
    case LUA_TTABLE: {
      if (depth >= max_transfer_depth) return "table nested more than 32 deep (or a cycle)";
      lua_pushnil(L);
      while (lua_next(L, index) != 0) {
        const char* bad = untransferable(L, -2, depth + 1);
        if (bad == nullptr) bad = untransferable(L, -1, depth + 1);
        if (bad != nullptr) {
          lua_pop(L, 2);
          return bad;
        }
        lua_pop(L, 1);
      }
      return nullptr;
    }
    default:
      return luaL_typename(L, index);  // a static string
  }
}

// Pushes a copy of src's value at `index` onto dst; untransferable() vetted it already.
void copy_value(lua_State* src, int index, lua_State* dst) {
  index = lua_absindex(src, index);
  switch (lua_type(src, index)) {
    case LUA_TBOOLEAN:
      lua_pushboolean(dst, lua_toboolean(src, index));
      break;
    case LUA_TNUMBER:
      if (lua_isinteger(src, index))
        lua_pushinteger(dst, lua_tointeger(src, index));
      else
        lua_pushnumber(dst, lua_tonumber(src, index));
      break;
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* s = lua_tolstring(src, index, &n);
      lua_pushlstring(dst, s, n);
      break;
    }
    case LUA_TTABLE:
      lua_newtable(dst);
      lua_pushnil(src);
      while (lua_next(src, index) != 0) {
        copy_value(src, -2, dst);
        copy_value(src, -1, dst);
        lua_rawset(dst, -3);
        lua_pop(src, 1);
      }
      break;
    default:
      lua_pushnil(dst);
  }
}

// Globals are read and written raw, so a script's metatable on _G (strict mode) cannot raise an
// error in a state that is not inside a protected call.
void raw_get_global(lua_State* L, const char* name) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

void raw_set_global(lua_State* L, const char* name) {  // pops the value
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  lua_insert(L, -2);
  lua_pushstring(L, name);
  lua_insert(L, -2);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// ---- thread objects -------------------------------------------------------------------------

wrk_thread_link* check_thread(lua_State* L) {
  return *static_cast<wrk_thread_link**>(luaL_checkudata(L, 1, thread_type));
}

void push_thread(lua_State* L, wrk_thread_link& link) {
  auto** ud = static_cast<wrk_thread_link**>(lua_newuserdatauv(L, sizeof(wrk_thread_link*), 0));
  *ud = &link;
  luaL_setmetatable(L, thread_type);
}

int thread_get(lua_State* L) {
  wrk_thread_link* t = check_thread(L);
  const char* name = luaL_checkstring(L, 2);
  lua_State* src = t->script->state();
  if (src == L) {  // wrk.thread:get() in the thread's own state
    raw_get_global(L, name);
    return 1;
  }
  raw_get_global(src, name);
  const char* bad = untransferable(src, -1, 0);
  if (bad != nullptr) {
    lua_pop(src, 1);
    return luaL_error(L, "cannot transfer a %s from thread", bad);
  }
  copy_value(src, -1, L);
  lua_pop(src, 1);
  return 1;
}

int thread_set(lua_State* L) {
  wrk_thread_link* t = check_thread(L);
  const char* name = luaL_checkstring(L, 2);
  lua_settop(L, 3);
  lua_State* dst = t->script->state();
  if (dst == L) {
    raw_set_global(L, name);
    return 0;
  }
  const char* bad = untransferable(L, 3, 0);
  if (bad != nullptr) return luaL_error(L, "cannot transfer a %s to thread", bad);
  copy_value(L, 3, dst);
  raw_set_global(dst, name);
  return 0;
}

int thread_stop(lua_State* L) {
  wrk_thread_link* t = check_thread(L);
  t->stop_requested.store(true, std::memory_order_relaxed);
  bool failed = false;
  try {
    if (t->on_stop) t->on_stop();
  } catch (...) {  // nothing may unwind through Lua's C frames
    failed = true;
  }
  if (failed) return luaL_error(L, "thread:stop() failed");
  return 0;
}

int thread_index(lua_State* L) {
  wrk_thread_link* t = check_thread(L);
  const char* key = lua_tostring(L, 2);
  if (key == nullptr) {
    lua_pushnil(L);
  } else if (std::strcmp(key, "get") == 0) {
    lua_pushcfunction(L, thread_get);
  } else if (std::strcmp(key, "set") == 0) {
    lua_pushcfunction(L, thread_set);
  } else if (std::strcmp(key, "stop") == 0) {
    lua_pushcfunction(L, thread_stop);
  } else if (std::strcmp(key, "addr") == 0) {
    push_addr(L, t->addr);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int thread_newindex(lua_State* L) {
  wrk_thread_link* t = check_thread(L);
  const char* key = lua_tostring(L, 2);
  if (key == nullptr || std::strcmp(key, "addr") != 0)
    return luaL_error(L, "cannot set '%s' on thread", key ? key : luaL_typename(L, 2));
  t->addr = *check_addr(L, 3);
  return 0;
}

// ---- stats objects (done's latency and requests) -------------------------------------------

const wrk_stats_view* check_stats(lua_State* L) {
  return *static_cast<const wrk_stats_view**>(luaL_checkudata(L, 1, stats_type));
}

void push_stats(lua_State* L, const wrk_stats_view& view) {
  auto** ud = static_cast<const wrk_stats_view**>(lua_newuserdatauv(L, sizeof(wrk_stats_view*), 0));
  *ud = &view;
  luaL_setmetatable(L, stats_type);
}

int stats_percentile(lua_State* L) {
  const wrk_stats_view* s = check_stats(L);
  const lua_Number p = luaL_checknumber(L, 2);
  lua_pushinteger(L, static_cast<lua_Integer>(s->histogram().percentile(p < 0     ? 0
                                                                        : p > 100 ? 100
                                                                                  : p)));
  return 1;
}

// latency(i): the i-th distinct value (1-based) and its count.
int stats_call(lua_State* L) {
  const wrk_stats_view* s = check_stats(L);
  const lua_Integer i = luaL_checkinteger(L, 2);
  const value_count vc = i >= 1 ? s->value_at(static_cast<std::uint64_t>(i - 1)) : value_count{};
  lua_pushinteger(L, static_cast<lua_Integer>(vc.value));
  lua_pushinteger(L, static_cast<lua_Integer>(vc.count));
  return 2;
}

int stats_len(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(check_stats(L)->distinct_values()));
  return 1;
}

int stats_index(lua_State* L) {
  const wrk_stats_view* s = check_stats(L);
  const char* key = lua_tostring(L, 2);
  if (key == nullptr) {
    lua_pushnil(L);
  } else if (std::strcmp(key, "min") == 0) {
    lua_pushinteger(L, static_cast<lua_Integer>(s->histogram().min()));
  } else if (std::strcmp(key, "max") == 0) {
    lua_pushinteger(L, static_cast<lua_Integer>(s->histogram().max()));
  } else if (std::strcmp(key, "mean") == 0) {
    lua_pushnumber(L, s->summary().mean);
  } else if (std::strcmp(key, "stdev") == 0) {
    lua_pushnumber(L, s->summary().stdev);
  } else if (std::strcmp(key, "percentile") == 0) {
    lua_pushcfunction(L, stats_percentile);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

void register_types(lua_State* L) {
  const luaL_Reg addr_methods[] = {{"__tostring", addr_tostring}, {nullptr, nullptr}};
  const luaL_Reg stats_methods[] = {
      {"__index", stats_index}, {"__call", stats_call}, {"__len", stats_len}, {nullptr, nullptr}};
  const luaL_Reg thread_methods[] = {
      {"__index", thread_index}, {"__newindex", thread_newindex}, {nullptr, nullptr}};
  luaL_newmetatable(L, addr_type);
  luaL_setfuncs(L, addr_methods, 0);
  luaL_newmetatable(L, stats_type);
  luaL_setfuncs(L, stats_methods, 0);
  luaL_newmetatable(L, thread_type);
  luaL_setfuncs(L, thread_methods, 0);
  lua_pop(L, 3);
}

std::string error_text(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  std::string text =
      msg != nullptr ? msg : std::string("(error object is a ") + luaL_typename(L, -1) + ")";
  lua_pop(L, 1);
  return text;
}

void set_string(lua_State* L, const char* field, const std::string& value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, field);
}

// Pushes one of the prelude's helpers.
void push_internal(lua_State* L, const char* name) {
  lua_getfield(L, LUA_REGISTRYINDEX, internal_key);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
}

void set_integer(lua_State* L, const char* field, std::uint64_t value) {
  lua_pushinteger(L, static_cast<lua_Integer>(value));
  lua_setfield(L, -2, field);
}

}  // namespace

// ---- wrk_addr -------------------------------------------------------------------------------

std::string wrk_addr::host() const {
  char buf[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, buf, sizeof buf, nullptr, 0,
                  NI_NUMERICHOST) != 0)
    return {};
  return buf;
}

std::uint16_t wrk_addr::port() const {
  if (family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

std::string wrk_addr::to_string() const {
  return host() + ":" + std::to_string(port());
}

std::vector<wrk_addr> lookup_addrs(const std::string& host, const std::string& service,
                                   std::string& error) {
  std::vector<wrk_addr> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    error = gai_strerror(rc);
    return out;
  }
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    wrk_addr a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    a.family = ai->ai_family;
    a.socktype = ai->ai_socktype;
    a.protocol = ai->ai_protocol;
    out.push_back(a);
  }
  freeaddrinfo(found);
  return out;
}

bool can_connect(const wrk_addr& addr, std::chrono::milliseconds timeout) {
  const int fd = ::socket(addr.family, addr.socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, addr.protocol);
  if (fd < 0) return false;
  bool connected = false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.length) == 0) {
    connected = true;
  } else if (errno == EINPROGRESS) {
    // Bounded, unlike wrk's blocking connect: an address that drops SYNs must not hang setup().
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
  }
  ::close(fd);
  return connected;
}

// ---- wrk_script -----------------------------------------------------------------------------

wrk_script::wrk_script(const wrk_target& target, const std::string& path) {
  L_ = luaL_newstate();
  if (L_ == nullptr) throw wrk_script_error("cannot create a Lua state (out of memory)");
  luaL_openlibs(L_);
  register_types(L_);

  if (luaL_loadbufferx(L_, prelude, std::strlen(prelude), "=wrk", "t") != LUA_OK ||
      lua_pcall(L_, 0, 2, 0) != LUA_OK) {
    std::string message = error_text(L_);
    lua_close(L_);
    L_ = nullptr;
    throw wrk_script_error("internal error in the wrk prelude: " + message);
  }
  lua_setfield(L_, LUA_REGISTRYINDEX, internal_key);
  // The wrk table, filled from the command line as wrk does before loading the script.
  set_string(L_, "scheme", target.scheme);
  set_string(L_, "host", target.host);
  if (target.port) set_string(L_, "port", *target.port);
  set_string(L_, "path", target.path);
  lua_pushcfunction(L_, wrk_lookup);
  lua_setfield(L_, -2, "lookup");
  lua_pushcfunction(L_, wrk_connect);
  lua_setfield(L_, -2, "connect");
  lua_getfield(L_, -1, "headers");
  for (const auto& [name, value] : target.headers) {
    lua_pushlstring(L_, value.data(), value.size());
    lua_setfield(L_, -2, name.c_str());
  }
  lua_pop(L_, 1);
  lua_setglobal(L_, "wrk");

  if (!path.empty()) {
    if (luaL_loadfile(L_, path.c_str()) != LUA_OK || lua_pcall(L_, 0, 0, 0) != LUA_OK) {
      std::string message = error_text(L_);
      lua_close(L_);
      L_ = nullptr;
      throw wrk_script_error(message);
    }
  }
}

wrk_script::~wrk_script() {
  if (L_ != nullptr) lua_close(L_);
}

bool wrk_script::is_function(const char* global) const {
  raw_get_global(L_, global);
  const bool yes = lua_isfunction(L_, -1);
  lua_pop(L_, 1);
  return yes;
}

bool wrk_script::call(const char* hook, int nargs, int nresults) {
  if (lua_pcall(L_, nargs, nresults, 0) == LUA_OK) return true;
  // Keyed by hook and message, so a hook failing on every request is one line in the report.
  ++errors_[std::string(hook) + "(): " + error_text(L_)];
  return false;
}

void wrk_script::setup(wrk_thread_link& thread) {
  if (!is_function("setup")) return;
  raw_get_global(L_, "setup");
  push_thread(L_, thread);
  call("setup", 1, 0);
}

void wrk_script::init(wrk_thread_link& thread, const std::string& url,
                      const std::vector<std::string>& args) {
  push_internal(L_, "set_thread");
  push_thread(L_, thread);
  call("init", 1, 0);
  push_internal(L_, "default_host");
  call("init", 0, 0);

  if (is_function("init")) {
    raw_get_global(L_, "init");
    lua_createtable(L_, static_cast<int>(args.size()), 1);
    lua_pushlstring(L_, url.data(), url.size());
    lua_rawseti(L_, -2, 0);
    for (std::size_t i = 0; i < args.size(); ++i) {
      lua_pushlstring(L_, args[i].data(), args[i].size());
      lua_rawseti(L_, -2, static_cast<lua_Integer>(i + 1));
    }
    call("init", 1, 0);
  }

  dynamic_ = is_function("request");
  has_delay_ = is_function("delay");
  wants_response_ = is_function("response");
  if (!dynamic_) {
    // Rendered once per thread and shared by all its connections.
    push_internal(L_, "render");
    if (call("wrk.format", 0, 1)) {
      std::size_t n = 0;
      const char* s = lua_tolstring(L_, -1, &n);
      if (s != nullptr) static_request_.assign(s, n);
      lua_pop(L_, 1);
    }
  }
}

bool wrk_script::request(std::string& out) {
  raw_get_global(L_, "request");
  if (!call("request", 0, 1)) return false;
  std::size_t n = 0;
  const char* s = lua_type(L_, -1) == LUA_TSTRING ? lua_tolstring(L_, -1, &n) : nullptr;
  if (s == nullptr) {
    ++errors_[std::string("request(): returned a ") + luaL_typename(L_, -1) + ", not a string"];
    lua_pop(L_, 1);
    return false;
  }
  out.assign(s, n);
  lua_pop(L_, 1);
  return true;
}

std::chrono::nanoseconds wrk_script::delay() {
  raw_get_global(L_, "delay");
  if (!call("delay", 0, 1)) return {};
  const lua_Number ms = lua_tonumber(L_, -1);
  lua_pop(L_, 1);
  if (!(ms > 0)) return {};  // also NaN
  // Capped at a day, so a wild value cannot overflow the duration.
  constexpr lua_Number max_ms = 24.0 * 3600 * 1000;
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>((ms < max_ms ? ms : max_ms) * 1'000'000.0));
}

void wrk_script::response(int status, const engine::header_list& headers, const std::string& body) {
  raw_get_global(L_, "response");
  lua_pushinteger(L_, status);
  lua_createtable(L_, 0, static_cast<int>(headers.size()));
  for (const auto& [name, value] : headers) {
    lua_pushlstring(L_, name.data(), name.size());
    lua_pushlstring(L_, value.data(), value.size());
    lua_rawset(L_, -3);
  }
  lua_pushlstring(L_, body.data(), body.size());
  call("response", 3, 0);
}

void wrk_script::done(const wrk_results& results, const wrk_stats_view& latency,
                      const wrk_stats_view& rates) {
  if (!is_function("done")) return;
  raw_get_global(L_, "done");
  lua_createtable(L_, 0, 4);
  set_integer(L_, "duration", static_cast<std::uint64_t>(results.duration.count()));
  set_integer(L_, "requests", results.requests);
  set_integer(L_, "bytes", results.bytes);
  lua_createtable(L_, 0, 5);
  set_integer(L_, "connect", results.errors.connect);
  set_integer(L_, "read", results.errors.read);
  set_integer(L_, "write", results.errors.write);
  set_integer(L_, "status", results.errors.status);
  set_integer(L_, "timeout", results.errors.timeout);
  lua_setfield(L_, -2, "errors");
  push_stats(L_, latency);
  push_stats(L_, rates);
  call("done", 3, 0);
}

}  // namespace ordeal::scenarios
