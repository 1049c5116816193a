#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "ordeal/faults/spec.hpp"

namespace ordeal::faults {

using clock = std::chrono::steady_clock;
class stage_context;

// A piece of the byte stream as it passes one stage: a view into the link's read buffer,
// valid until the stage's on_data returns. `read_at` is when the proxy read it off the socket:
// delays count from there, so a latency toxic adds its delay once, not once per stage.
struct chunk_view {
  const char* data = nullptr;
  std::size_t size = 0;
  clock::time_point read_at{};
  bool injected = false;  // written by the proxy itself (an HTTP fault's response), not read
  chunk_view sub(std::size_t offset, std::size_t n) const noexcept {
    return {data + offset, n, read_at, injected};
  }
};

// One toxic's state on one direction of one connection (a bandwidth toxic's pacing, a
// slicer's random stream). Every byte it does not mean to change it passes on unchanged, in
// order, through ctx.forward().
class toxic_stage {
 public:
  virtual ~toxic_stage() = default;
  // Called when the stage joins a connection (at connect, or when its toxic is added) and
  // the toxicity draw says it applies: time-driven toxics (timeout, reset_peer) start here.
  virtual void start(stage_context& ctx) {}
  // The default passes the chunk on untouched.
  virtual boost::asio::awaitable<void> on_data(chunk_view c, stage_context& ctx);
  // The source closed its sending side (FIN). The default passes the close on.
  virtual boost::asio::awaitable<void> on_end(stage_context& ctx);
};

// A configured toxic: immutable once built (an update builds a new one and the connections
// swap their stages at the next chunk boundary). Shared by every connection of its proxy, so
// state meant to be shared (a proxy-wide bandwidth limit) lives here, mutable, fault-thread
// only.
class toxic {
 public:
  explicit toxic(toxic_spec spec) : spec_(std::move(spec)) {}
  virtual ~toxic() = default;
  const toxic_spec& spec() const noexcept { return spec_; }

  // The stage for direction `d` of a new connection, or none when the toxic does not act on
  // that direction. The default: a stage for the toxic's own stream only.
  virtual std::unique_ptr<toxic_stage> make_stage(stream_direction d) const {
    return d == spec_.stream ? make_stage() : nullptr;
  }
  // While present, the proxy refuses connections and drops the ones it has ("down").
  virtual bool disables_proxy() const noexcept { return false; }
  // Whether the link draws the toxicity (false: the toxic draws its own, e.g. per request).
  virtual bool link_draws_toxicity() const noexcept { return true; }

 protected:
  virtual std::unique_ptr<toxic_stage> make_stage() const { return nullptr; }

 private:
  toxic_spec spec_;
};

// Reads a toxic's attributes with toxiproxy's units (milliseconds for times, KB/s for rates,
// bytes for sizes), also accepting strings with units for times ("300ms", "1.5s"). Each
// read marks the attribute as known; finish() refuses any attribute no read asked for, with a
// "did you mean". Errors are spec_error 400 "<where>.attributes.<name>: ...".
class attribute_reader {
 public:
  attribute_reader(const boost::json::object& attributes, std::string where);
  std::chrono::nanoseconds duration(std::string_view name, std::chrono::nanoseconds fallback);
  double number(std::string_view name, double fallback, double min, double max);
  std::int64_t integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  bool boolean(std::string_view name, bool fallback);
  std::string string(std::string_view name, std::string_view fallback);
  const boost::json::value* raw(std::string_view name);  // marks it known; null when absent
  [[noreturn]] void fail(std::string_view name, std::string_view what) const;
  const std::string& where() const noexcept { return where_; }
  void finish() const;

 private:
  const boost::json::object& attributes_;
  std::string where_;
  std::vector<std::string> known_;
};

// Builds a toxic of spec.type (throws spec_error 400: unknown type, bad attribute). `where`
// names the toxic in messages ("toxic", "options.faults[2].toxic"), `attributes_where` its
// attributes ("attributes" in the API's shape; the toxic itself in a drill's flat one).
std::shared_ptr<const toxic> build_toxic(const toxic_spec& spec, std::string_view where,
                                         std::string_view attributes_where);

// Every toxic type's builder, one per file (toxic_latency.cpp, ...), listed in toxics.cpp.
using toxic_builder = std::shared_ptr<const toxic> (*)(const toxic_spec&, attribute_reader&);

}  // namespace ordeal::faults
