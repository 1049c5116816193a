#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "fault_random.hpp"
#include "toxic.hpp"

namespace ordeal::faults {

class link;
class proxy_connection;

// What a toxic's stage may do with the stream it sits in (see toxic_stage).
class stage_context {
 public:
  stage_context(link& l, std::size_t index, const toxic& owner, std::uint64_t seed)
      : link_(l), index_(index), owner_(owner), random_(seed) {}

  // Passes data (or the close) on to the next stage, and from the last one to the socket.
  boost::asio::awaitable<void> forward(chunk_view c);
  boost::asio::awaitable<void> forward_end();
  // Holds the stream until `t`. False when the wait was cut short because the toxic was
  // removed or the connection is closing: pass what is held on at once (or drop it).
  boost::asio::awaitable<bool> sleep_until(clock::time_point t);
  // Whether the stage is still wanted: its toxic is present and the connection open.
  bool live() const noexcept;

  void close_connection();  // FIN to both sides, now
  void reset_connection();  // RST to both sides, now
  // Sends bytes the proxy makes up into direction `d`, in order with the data already queued
  // there (an HTTP fault's response to the client goes downstream).
  boost::asio::awaitable<void> inject(stream_direction d, std::string bytes);
  // State shared by the stages a toxic has on both directions of one connection.
  std::shared_ptr<void>& shared_state();

  void record_hit(std::string detail);  // one fault event for this connection
  fault_random& random() noexcept { return random_; }
  boost::asio::any_io_executor executor() const;
  stream_direction direction() const noexcept;
  std::uint64_t connection_id() const noexcept;
  // Bytes read off this direction's source that entered the chain so far (made-up ones not
  // counted). Non-zero in start() means the stage joined a connection mid-stream.
  std::uint64_t stream_bytes() const noexcept;
  const toxic& owner() const noexcept { return owner_; }

 private:
  friend class link;
  link& link_;
  std::size_t index_;  // position in the chain
  const toxic& owner_;
  fault_random random_;
  bool removed_ = false;
};

// One direction of a proxied connection: a reader that takes bytes off the source socket as
// they come (stamping when), a bounded queue (backpressure: at most queue_chunks reads ahead),
// and a writer that runs each chunk through the toxics' stages in order and onto the sink.
// Reading ahead is what lets a latency toxic delay a stream without cutting its throughput.
class link {
 public:
  static constexpr std::size_t chunk_bytes = 32 * 1024;
  static constexpr std::size_t queue_chunks = 16;

  link(proxy_connection& conn, stream_direction d, boost::asio::ip::tcp::socket& source,
       boost::asio::ip::tcp::socket& sink);
  ~link();

  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  // The proxy's toxics changed: swap stages now, or at the next chunk boundary when a chunk
  // is on its way (a removed stage's wait is cut short).
  void refresh();
  void close();  // the connection is closing: wake everything

  stream_direction direction() const noexcept { return direction_; }
  proxy_connection& connection() noexcept { return conn_; }
  boost::asio::awaitable<void> inject(std::string bytes);

 private:
  friend class stage_context;
  struct chunk {
    std::unique_ptr<char[]> buffer;
    std::size_t size = 0;
    clock::time_point read_at{};
    bool end = false;
    bool reset = false;  // with end: the source reset the connection
    bool injected = false;
  };
  struct slot {
    std::shared_ptr<const toxic> owner;
    std::unique_ptr<toxic_stage> stage;
    std::unique_ptr<stage_context> ctx;
    bool applies = true;  // toxicity drawn per connection
    bool hit = false;     // a hit event was recorded
  };
  using queue = boost::asio::experimental::channel<void(boost::system::error_code, chunk)>;

  void rebuild();
  std::unique_ptr<slot> make_slot(const std::shared_ptr<const toxic>& t);
  void activate(slot& s);  // per-connection draw applies: record the hit, start the stage
  bool uses(slot& s);
  boost::asio::awaitable<void> run_from(std::size_t i, chunk_view c);
  boost::asio::awaitable<void> end_from(std::size_t i);
  boost::asio::awaitable<void> write_sink(chunk_view c);
  std::unique_ptr<char[]> take_buffer();

  proxy_connection& conn_;
  stream_direction direction_;
  boost::asio::ip::tcp::socket& source_;
  boost::asio::ip::tcp::socket& sink_;
  queue queue_;
  boost::asio::steady_timer sleep_timer_;
  std::vector<std::unique_ptr<slot>> chain_;
  std::uint64_t version_ = ~std::uint64_t{0};
  bool running_ = false;  // a chunk is inside the chain
  bool stale_ = false;
  bool sink_done_ = false;
  bool closing_ = false;
  bool end_held_ = false;       // a toxic swallowed the FIN; write_loop waits for a change
  std::uint64_t bytes_in_ = 0;  // see stage_context::stream_bytes
  std::vector<std::unique_ptr<char[]>> pool_;
};

}  // namespace ordeal::faults
