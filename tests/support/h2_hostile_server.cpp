#include "h2_hostile_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "h2_wire.hpp"
#include "server_io.hpp"

namespace ordeal::test {

namespace {

using namespace h2_wire;
using namespace server_io;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::size_t frame_header_bytes = 9;
// The default SETTINGS_MAX_FRAME_SIZE, which this server never raises (so a client frame is at
// most this long) and which every client accepts (so responses are cut to it).
constexpr std::size_t max_frame_payload = 16384;
constexpr std::size_t input_buffer_bytes = 64 * 1024;
// A client opening more streams than this at once ends its connection (ENHANCE_YOUR_CALM):
// the bound on per-connection memory whatever the client does.
constexpr std::size_t max_open_streams = 10000;

void update_max(std::atomic<std::uint64_t>& max, std::uint64_t value) {
  std::uint64_t seen = max.load();
  while (value > seen && !max.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

std::string_view to_string(h2_hostile_behaviour b) noexcept {
  switch (b) {
    case h2_hostile_behaviour::normal:
      return "normal";
    case h2_hostile_behaviour::invalid_frame:
      return "invalid_frame";
    case h2_hostile_behaviour::huge_headers:
      return "huge_headers";
    case h2_hostile_behaviour::goaway_every_n:
      return "goaway_every_n";
    case h2_hostile_behaviour::zero_window:
      return "zero_window";
    case h2_hostile_behaviour::rst_stream:
      return "rst_stream";
    case h2_hostile_behaviour::tls_garbage:
      return "tls_garbage";
    case h2_hostile_behaviour::silent:
      return "silent";
  }
  return "unknown";
}

class h2_hostile_server::impl {
 public:
  impl(h2_hostile_behaviour behaviour, h2_hostile_server_options options)
      : behaviour_(behaviour), options_(std::move(options)) {
    if (options_.goaway_after_requests == 0) options_.goaway_after_requests = 1;
    response_headers_ = response_header_block(options_.response_body.size());
    if (behaviour_ == h2_hostile_behaviour::huge_headers)
      huge_headers_ = huge_header_block(options_.huge_headers_bytes, options_.response_body.size());
    if (options_.tls) make_tls_context();

    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) {
      const int e = errno;
      ::close(stop_fd_);
      throw std::system_error(e, std::generic_category(), "socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      const int e = errno;
      ::close(listen_fd_);
      ::close(stop_fd_);
      throw std::system_error(e, std::generic_category(), "listen on 127.0.0.1:0");
    }
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~impl() {
    stop();
    ::close(stop_fd_);
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void stop() noexcept {
    std::lock_guard lock(stop_mutex_);
    if (!accept_thread_.joinable()) return;
    stopping_ = true;
    const std::uint64_t one = 1;
    // Never read back: the eventfd stays readable, so every wait of every thread ends.
    [[maybe_unused]] const auto written = ::write(stop_fd_, &one, sizeof one);
    accept_thread_.join();
    // Refused from now on: a client retrying on a fresh connection learns at once.
    ::close(listen_fd_);
    listen_fd_ = -1;
    for (worker& w : workers_)
      w.thread.join();
    workers_.clear();
  }

  std::uint16_t port_ = 0;
  const h2_hostile_behaviour behaviour_;
  h2_hostile_server_options options_;
  std::atomic<std::uint64_t> connections_accepted_{0};
  std::atomic<std::uint64_t> connections_open_{0};
  std::atomic<std::uint64_t> requests_received_{0};
  std::atomic<std::uint64_t> requests_answered_{0};
  std::atomic<std::uint64_t> streams_reset_{0};
  std::atomic<std::uint64_t> goaways_sent_{0};
  std::atomic<std::uint64_t> peak_concurrent_streams_{0};

 private:
  class connection;

  struct worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  static int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                         const unsigned char* in, unsigned int inlen, void* arg) {
    const auto* self = static_cast<const impl*>(arg);
    if (self->alpn_wire_.empty()) return SSL_TLSEXT_ERR_NOACK;
    unsigned char* selected = nullptr;
    const auto* server = reinterpret_cast<const unsigned char*>(self->alpn_wire_.data());
    if (SSL_select_next_proto(&selected, outlen, server,
                              static_cast<unsigned int>(self->alpn_wire_.size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
      return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }

  void make_tls_context() {
    const auto fail = [](const char* step) {
      throw std::runtime_error(std::string("h2_hostile_server TLS: ") + step + ": " +
                               openssl_errors());
    };
    tls_.reset(SSL_CTX_new(TLS_server_method()));
    if (!tls_) fail("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(tls_.get(), TLS1_2_VERSION);
    SSL_CTX_set_mode(tls_.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
        BIO_new_mem_buf(options_.tls->cert.data(), static_cast<int>(options_.tls->cert.size())),
        &BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) fail("reading the certificate");
    std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
        BIO_new_mem_buf(options_.tls->key.data(), static_cast<int>(options_.tls->key.size())),
        &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    if (!key) fail("reading the private key");
    if (SSL_CTX_use_certificate(tls_.get(), cert.get()) != 1) fail("SSL_CTX_use_certificate");
    if (SSL_CTX_use_PrivateKey(tls_.get(), key.get()) != 1) fail("SSL_CTX_use_PrivateKey");
    if (!options_.alpn.empty()) {
      if (options_.alpn.size() > 255) throw std::invalid_argument("ALPN protocol too long");
      alpn_wire_.push_back(static_cast<char>(options_.alpn.size()));
      alpn_wire_ += options_.alpn;
    }
    SSL_CTX_set_alpn_select_cb(tls_.get(), &impl::select_alpn, this);
  }

  void accept_loop() noexcept {
    block_sigpipe();
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      // The timeout also reaps finished connection threads on a quiet server.
      const int r = ::poll(fds, 2, 100);
      reap_finished();
      if (stopping_ || (r > 0 && fds[1].revents != 0)) return;
      if (r <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        // Out of descriptors and the like: back off instead of spinning on the error.
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
          std::this_thread::sleep_for(10ms);
        continue;
      }
      ++connections_accepted_;
      if (workers_.size() >= options_.max_connections) {
        const linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ++connections_open_;
      worker& w = workers_.emplace_back();
      try {
        w.thread = std::thread([this, fd, &w] {
          serve(fd);
          --connections_open_;
          w.done = true;
        });
      } catch (...) {
        ::close(fd);
        --connections_open_;
        workers_.pop_back();
      }
    }
  }

  void reap_finished() {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve(int raw_fd) noexcept;

  const std::string& response_headers() const noexcept { return response_headers_; }
  const std::string& huge_headers() const noexcept { return huge_headers_; }

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::atomic<bool> stopping_{false};
  ssl_ctx_ptr tls_;
  std::string alpn_wire_;  // length-prefixed, as ALPN wants
  std::string response_headers_;
  std::string huge_headers_;
  std::list<worker> workers_;  // accept thread only (then stop(), after joining it)
  std::mutex stop_mutex_;
  std::thread accept_thread_;
};

// The HTTP/2 side of one connection, after the TLS handshake (if any).
class h2_hostile_server::impl::connection {
 public:
  connection(impl& server, connection_io& io) : s_(server), io_(io), in_(input_buffer_bytes) {}

  void run() {
    if (!send_settings()) return;
    for (;;) {
      io_result r = io_result::ok;
      if (!io_.has_pending()) r = io_.wait(io_.wanted_events(), next_deadline());
      if (r == io_result::stopped || r == io_result::closed) return;
      if (!run_due()) return;
      if (r == io_result::timed_out) continue;
      if (begin_ > 0 && end_ == in_.size()) compact();
      if (end_ == in_.size()) return;  // cannot happen: frames are at most a quarter of it
      std::size_t n = 0;
      if (io_.read_some(in_.data() + end_, in_.size() - end_, n) != io_result::ok) return;
      end_ += n;
      if (!parse()) return;
    }
  }

 private:
  using behaviour = h2_hostile_behaviour;

  struct stream_state {
    bool complete = false;  // the request's END_STREAM was seen
  };

  clock_type::time_point next_deadline() const {
    auto d = clock_type::time_point::max();
    if (!delayed_.empty()) d = delayed_.front().second;
    if (close_at_) d = std::min(d, *close_at_);
    return d;
  }

  // Answers due delayed requests; false once the GOAWAY close is due (done here).
  bool run_due() {
    const auto now = clock_type::now();
    while (!delayed_.empty() && delayed_.front().second <= now) {
      const std::uint32_t stream = delayed_.front().first;
      delayed_.pop_front();
      if (!respond(stream)) return false;
    }
    if (close_at_ && *close_at_ <= now) {
      io_.close_gracefully();
      return false;
    }
    return true;
  }

  void compact() {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }

  // Handles every complete frame in the buffer; false when the connection is finished.
  bool parse() {
    if (!preface_seen_) {
      const std::size_t have = std::min(end_ - begin_, client_preface.size());
      if (std::string_view(in_.data() + begin_, have) != client_preface.substr(0, have)) {
        // HTTP/1.1 or anything else: not ours.
        io_.close_gracefully();
        return false;
      }
      if (have < client_preface.size()) return true;
      begin_ += client_preface.size();
      preface_seen_ = true;
    }
    while (end_ - begin_ >= frame_header_bytes) {
      const auto* h = reinterpret_cast<const unsigned char*>(in_.data() + begin_);
      const std::size_t length = (std::size_t{h[0]} << 16) | (std::size_t{h[1]} << 8) | h[2];
      if (length > max_frame_payload) return connection_error(error::frame_size_error);
      if (end_ - begin_ < frame_header_bytes + length) break;
      const std::uint8_t type = h[3];
      const std::uint8_t flags = h[4];
      const std::uint32_t stream = get32(in_.data() + begin_ + 5) & 0x7fffffffu;
      const std::string_view payload(in_.data() + begin_ + frame_header_bytes, length);
      begin_ += frame_header_bytes + length;
      if (!on_frame(type, flags, stream, payload)) return false;
    }
    if (begin_ == end_) begin_ = end_ = 0;
    return true;
  }

  bool on_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                std::string_view payload) {
    if (broken_) return true;  // invalid_frame sent: only waiting for the client to leave
    if (continuation_stream_ != 0 &&
        (type != frame::continuation || stream != continuation_stream_))
      return connection_error(error::protocol_error);
    switch (type) {
      case frame::data:
        if (stream == 0) return connection_error(error::protocol_error);
        if (!payload.empty() && s_.behaviour_ != behaviour::zero_window) {
          // Give the window back at once: uploads of any size flow.
          if (!send_window_update(0, payload.size())) return false;
          if ((flags & flag::end_stream) == 0 && streams_.contains(stream) &&
              !send_window_update(stream, payload.size()))
            return false;
        }
        if ((flags & flag::end_stream) != 0) return request_complete(stream);
        return true;
      case frame::headers:
        if (stream == 0 || stream % 2 == 0) return connection_error(error::protocol_error);
        if (stream > last_client_stream_) {
          last_client_stream_ = stream;
          if (!stream_opened(stream)) return false;
        }
        if ((flags & flag::end_headers) == 0) {
          continuation_stream_ = stream;
          continuation_ends_stream_ = (flags & flag::end_stream) != 0;
          return true;
        }
        if ((flags & flag::end_stream) != 0) return request_complete(stream);
        return true;
      case frame::continuation:
        if (continuation_stream_ == 0) return connection_error(error::protocol_error);
        if ((flags & flag::end_headers) != 0) {
          const std::uint32_t s = continuation_stream_;
          continuation_stream_ = 0;
          if (continuation_ends_stream_) return request_complete(s);
        }
        return true;
      case frame::rst_stream:
        streams_.erase(stream);
        return true;
      case frame::settings:
        if (stream != 0) return connection_error(error::protocol_error);
        if ((flags & flag::ack) != 0) {
          settings_acked_ = true;
          return true;
        }
        if (payload.size() % 6 != 0) return connection_error(error::frame_size_error);
        return send_frame(frame::settings, flag::ack, 0, {});
      case frame::ping:
        if (stream != 0) return connection_error(error::protocol_error);
        if (payload.size() != 8) return connection_error(error::frame_size_error);
        if ((flags & flag::ack) != 0) return true;
        return send_frame(frame::ping, flag::ack, 0, payload);
      case frame::push_promise:
        return connection_error(error::protocol_error);
      case frame::goaway:
        return true;  // the client leaves; its FIN ends the connection
      default:
        return true;  // PRIORITY, WINDOW_UPDATE, unknown types
    }
  }

  bool stream_opened(std::uint32_t stream) {
    ++s_.requests_received_;
    if (goaway_last_stream_ && stream > *goaway_last_stream_) return true;  // never answered
    if (s_.behaviour_ == behaviour::rst_stream) {
      std::string payload;
      put32(payload, s_.options_.rst_error_code);
      ++s_.streams_reset_;
      return send_frame(frame::rst_stream, 0, stream, payload);
    }
    if (streams_.size() >= max_open_streams) return connection_error(error::enhance_your_calm);
    streams_.emplace(stream, stream_state{});
    // Before the client has our SETTINGS it may open streams up to its own default (RFC 9113
    // 6.5.2): only streams it opens knowing the limit are held to it.
    if (settings_acked_) update_max(s_.peak_concurrent_streams_, streams_.size());
    return true;
  }

  bool request_complete(std::uint32_t stream) {
    const auto it = streams_.find(stream);
    if (it == streams_.end() || it->second.complete) return true;  // reset, ignored or twice
    it->second.complete = true;
    switch (s_.behaviour_) {
      case behaviour::invalid_frame:
        broken_ = true;
        return send_invalid_frame(stream);
      case behaviour::huge_headers:
        return send_huge_response(stream);
      default:
        if (s_.options_.response_delay > std::chrono::milliseconds::zero()) {
          delayed_.emplace_back(stream, clock_type::now() + s_.options_.response_delay);
          return true;
        }
        return respond(stream);
    }
  }

  bool respond(std::uint32_t stream) {
    if (!streams_.contains(stream)) return true;  // reset by the client meanwhile
    // Counted first: a client that has seen a response always finds it counted.
    ++s_.requests_answered_;
    const std::string_view body = s_.options_.response_body;
    if (!send_frame(frame::headers, flag::end_headers | (body.empty() ? flag::end_stream : 0),
                    stream, s_.response_headers()))
      return false;
    if (!send_body(stream, body)) return false;
    streams_.erase(stream);
    if (s_.behaviour_ == behaviour::goaway_every_n && !goaway_last_stream_ &&
        ++served_ >= s_.options_.goaway_after_requests) {
      goaway_last_stream_ = stream;
      std::erase_if(streams_, [stream](const auto& e) { return e.first > stream; });
      ++s_.goaways_sent_;
      close_at_ = clock_type::now() + s_.options_.goaway_close_delay;
      return send_goaway(stream, error::no_error);
    }
    return true;
  }

  bool send_body(std::uint32_t stream, std::string_view body) {
    while (!body.empty()) {
      const std::size_t n = std::min(body.size(), max_frame_payload);
      if (!send_frame(frame::data, n == body.size() ? flag::end_stream : 0, stream,
                      body.substr(0, n)))
        return false;
      body.remove_prefix(n);
    }
    return true;
  }

  bool send_huge_response(std::uint32_t stream) {
    ++s_.requests_answered_;
    std::string_view block = s_.huge_headers();
    const std::string_view body = s_.options_.response_body;
    // END_STREAM belongs on the HEADERS frame, never on a CONTINUATION.
    std::uint8_t type = frame::headers;
    std::uint8_t flags = body.empty() ? flag::end_stream : 0;
    while (!block.empty()) {
      const std::size_t n = std::min(block.size(), max_frame_payload);
      if (n == block.size()) flags |= flag::end_headers;
      if (!send_frame(type, flags, stream, block.substr(0, n))) return false;
      block.remove_prefix(n);
      type = frame::continuation;
      flags = 0;
    }
    if (!send_body(stream, body)) return false;
    streams_.erase(stream);
    return true;
  }

  bool send_invalid_frame(std::uint32_t stream) {
    switch (s_.options_.invalid_frame) {
      case h2_invalid_frame::data_on_stream_zero:
        return send_frame(frame::data, 0, 0, "oops");
      case h2_invalid_frame::bad_settings_length:
        return send_frame(frame::settings, 0, 0, std::string(5, '\0'));
      case h2_invalid_frame::oversized_frame: {
        out_.clear();
        put_frame_header(out_, 0xffffff, frame::data, 0, stream);
        out_.append(max_frame_payload, 'x');
        return io_.write_all(out_) == io_result::ok;
      }
      case h2_invalid_frame::bad_hpack:
        return send_frame(frame::headers, flag::end_headers | flag::end_stream, stream, "\x80");
    }
    return false;
  }

  bool send_settings() {
    std::string payload;
    put16(payload, settings_max_concurrent_streams);
    put32(payload, s_.options_.max_concurrent_streams);
    if (s_.behaviour_ == behaviour::zero_window) {
      put16(payload, settings_initial_window_size);
      put32(payload, 0);
    }
    return send_frame(frame::settings, 0, 0, payload);
  }

  bool send_window_update(std::uint32_t stream, std::size_t increment) {
    std::string payload;
    put32(payload, static_cast<std::uint32_t>(increment));
    return send_frame(frame::window_update, 0, stream, payload);
  }

  bool send_goaway(std::uint32_t last_stream, std::uint32_t code) {
    std::string payload;
    put32(payload, last_stream);
    put32(payload, code);
    return send_frame(frame::goaway, 0, 0, payload);
  }

  // GOAWAY with the error, then a graceful close; always false (the connection is over).
  bool connection_error(std::uint32_t code) {
    if (send_goaway(last_client_stream_, code)) io_.close_gracefully();
    return false;
  }

  bool send_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  std::string_view payload) {
    out_.clear();
    put_frame_header(out_, payload.size(), type, flags, stream);
    out_.append(payload);
    return io_.write_all(out_) == io_result::ok;
  }

  impl& s_;
  connection_io& io_;
  std::vector<char> in_;  // received bytes [begin_, end_) not yet parsed
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::string out_;  // the frame being written
  bool preface_seen_ = false;
  bool settings_acked_ = false;  // the client has ACKed our SETTINGS
  bool broken_ = false;
  std::uint32_t last_client_stream_ = 0;
  std::uint32_t continuation_stream_ = 0;  // non-zero: a header block is open on it
  bool continuation_ends_stream_ = false;
  std::map<std::uint32_t, stream_state> streams_;  // open: not yet answered nor reset
  std::deque<std::pair<std::uint32_t, clock_type::time_point>> delayed_;  // due in order
  std::uint32_t served_ = 0;
  std::optional<std::uint32_t> goaway_last_stream_;
  std::optional<clock_type::time_point> close_at_;
};

void h2_hostile_server::impl::serve(int raw_fd) noexcept {
  unique_fd fd(raw_fd);
  connection_io io(fd.fd, stop_fd_);
  try {
    if (behaviour_ == h2_hostile_behaviour::silent) {
      io.drain(clock_type::time_point::max());
      return;
    }
    if (behaviour_ == h2_hostile_behaviour::tls_garbage) {
      // Wait for the ClientHello, so the client is mid-handshake when the garbage arrives.
      if (io.wait(POLLIN, clock_type::now() + options_.tls_handshake_timeout) != io_result::ok)
        return;
      char hello[4096];
      [[maybe_unused]] const auto n = ::recv(fd.fd, hello, sizeof hello, 0);
      std::string garbage;
      for (int i = 0; i < 4; ++i)
        garbage += "ordeal h2_hostile_server: this is not TLS\r\n";
      if (io.write_all(garbage) == io_result::ok) io.close_gracefully();
      return;
    }
    if (tls_ && io.tls_handshake(tls_.get(), clock_type::now() + options_.tls_handshake_timeout) !=
                    io_result::ok)
      return;
    connection(*this, io).run();
  } catch (...) {
    // Only allocation can throw here; the connection simply ends.
  }
}

h2_hostile_server::h2_hostile_server(h2_hostile_behaviour behaviour,
                                     h2_hostile_server_options options)
    : impl_(std::make_unique<impl>(behaviour, std::move(options))) {}

h2_hostile_server::~h2_hostile_server() = default;

std::uint16_t h2_hostile_server::port() const noexcept {
  return impl_->port_;
}
h2_hostile_behaviour h2_hostile_server::behaviour() const noexcept {
  return impl_->behaviour_;
}
bool h2_hostile_server::tls() const noexcept {
  return impl_->options_.tls.has_value() || impl_->behaviour_ == h2_hostile_behaviour::tls_garbage;
}
std::string h2_hostile_server::url(const std::string& path) const {
  return (tls() ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port()) + path;
}
std::uint64_t h2_hostile_server::connections_accepted() const noexcept {
  return impl_->connections_accepted_.load();
}
std::uint64_t h2_hostile_server::connections_open() const noexcept {
  return impl_->connections_open_.load();
}
std::uint64_t h2_hostile_server::requests_received() const noexcept {
  return impl_->requests_received_.load();
}
std::uint64_t h2_hostile_server::requests_answered() const noexcept {
  return impl_->requests_answered_.load();
}
std::uint64_t h2_hostile_server::streams_reset() const noexcept {
  return impl_->streams_reset_.load();
}
std::uint64_t h2_hostile_server::goaways_sent() const noexcept {
  return impl_->goaways_sent_.load();
}
std::uint64_t h2_hostile_server::peak_concurrent_streams() const noexcept {
  return impl_->peak_concurrent_streams_.load();
}
void h2_hostile_server::stop() noexcept {
  impl_->stop();
}

}  // namespace ordeal::test
