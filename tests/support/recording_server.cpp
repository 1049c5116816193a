#include "recording_server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <condition_variable>
#include <exception>
#include <list>
#include <mutex>
#include <string>
#include <thread>

namespace ordeal::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Errors are values here: clients under test reset and abandon connections all the time.
constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

// Chunks this small make a client decode across several of them even for short bodies.
constexpr std::size_t chunk_bytes = 8;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

const std::string* find_header(const header_pairs& headers, std::string_view name) noexcept {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return &v;
  return nullptr;
}

bool ends_in_chunked(std::string_view value) noexcept {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  constexpr std::string_view chunked = "chunked";
  return value.size() >= chunked.size() &&
         iequals(value.substr(value.size() - chunked.size()), chunked);
}

std::string hex(std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[n % 16]);
    n /= 16;
  } while (n != 0);
  return s;
}

// The response's bytes, by the rules documented on canned_response.
std::string render(const canned_response& r, bool head_request) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out.append(reason.empty() ? std::string_view("Status") : std::string_view(reason));
  out.append("\r\n");
  for (const auto& [name, value] : r.headers)
    out.append(name).append(": ").append(value).append("\r\n");
  const bool bodyless = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  const std::string* te = find_header(r.headers, "transfer-encoding");
  const bool chunked = te != nullptr && ends_in_chunked(*te);
  if (!bodyless && te == nullptr && find_header(r.headers, "content-length") == nullptr)
    out.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  if (r.close && r.announce_close && find_header(r.headers, "connection") == nullptr)
    out.append("Connection: close\r\n");
  out.append("\r\n");
  if (bodyless || head_request) return out;
  if (!chunked) return out.append(r.body);
  for (std::size_t at = 0; at < r.body.size(); at += chunk_bytes) {
    const std::size_t n = std::min(chunk_bytes, r.body.size() - at);
    out.append(hex(n)).append("\r\n").append(r.body, at, n).append("\r\n");
  }
  return out.append("0\r\n\r\n");
}

// Closing with SO_LINGER {1, 0} makes the kernel send RST and drop whatever is unsent.
void reset(tcp::socket& socket) noexcept {
  error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// FIN after everything written so far.
void close_cleanly(tcp::socket& socket) noexcept {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace

const std::string* recorded_request::header(std::string_view name) const noexcept {
  return find_header(headers, name);
}

class recording_server::impl {
 public:
  explicit impl(request_handler handler) : handler_(std::move(handler)) {
    // Start-up errors (no port, no socket) throw: a test cannot run without its server.
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { run(); });
  }

  ~impl() { stop(); }

  void stop() noexcept {
    std::lock_guard lock(stop_mutex_);
    if (!thread_.joinable()) return;
    // Sockets belong to the server thread; closing them there completes every pending
    // operation with an error, so the coroutines end and run() returns.
    asio::post(io_, [this] {
      stopping_ = true;
      error_code ignored;
      acceptor_.close(ignored);
      accept_backoff_.cancel();
      for (connection& c : live_) {
        c.timer.cancel();
        reset(c.socket);
      }
    });
    thread_.join();
  }

  std::vector<recorded_request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> connections_accepted_{0};
  std::atomic<std::uint64_t> connections_open_{0};

 private:
  struct connection {
    connection(tcp::socket s, asio::io_context& io, std::uint64_t id)
        : socket(std::move(s)), timer(io), id(id) {}
    tcp::socket socket;
    asio::steady_timer timer;  // the answer's delay; cancelled by stop()
    std::uint64_t id;
  };

  void run() noexcept {
    // Handlers here do not throw (errors are values, handler exceptions become 500s); if one
    // ever does, keep serving so that stop() can still drain and join.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (...) {
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(nothrow_awaitable);
      if (stopping_ || !acceptor_.is_open()) co_return;
      if (ec) {
        // Out of descriptors and the like: back off instead of spinning on the error.
        accept_backoff_.expires_after(std::chrono::milliseconds(10));
        co_await accept_backoff_.async_wait(nothrow_awaitable);
        continue;
      }
      const std::uint64_t id = ++connections_accepted_;
      ++connections_open_;
      asio::co_spawn(io_, serve(std::move(socket), id), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, std::uint64_t id) {
    // The registry lets stop() reach this socket; the guard keeps it and the count exact
    // however the coroutine ends.
    auto it = live_.emplace(live_.end(), std::move(socket), io_, id);
    struct unregister {
      impl* self;
      std::list<connection>::iterator it;
      ~unregister() {
        self->live_.erase(it);
        --self->connections_open_;
      }
    } guard{this, it};
    connection& c = *it;

    boost::beast::flat_buffer buffer;  // keeps pipelined bytes for the next request
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(1024 * 1024);
      parser.body_limit(64 * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(c.socket, buffer, parser, nothrow_awaitable);
      if (ec || stopping_) co_return;  // EOF, reset, a malformed request, or stop()
      const auto& message = parser.get();
      const bool head_request = message.method() == http::verb::head;
      canned_response answer = record_and_ask(c.id, message);
      // A request that said "Connection: close" is answered as a compliant server does.
      if (!message.keep_alive()) answer.close = true;

      if (answer.delay.count() > 0) {
        c.timer.expires_after(answer.delay);
        auto [tec] = co_await c.timer.async_wait(nothrow_awaitable);
        if (tec || stopping_) co_return;
      }
      if (answer.reset) {
        reset(c.socket);
        co_return;
      }
      const std::string bytes = answer.raw.empty() ? render(answer, head_request) : answer.raw;
      auto [wec, wn] = co_await asio::async_write(c.socket, asio::buffer(bytes), nothrow_awaitable);
      if (wec || stopping_) co_return;
      if (answer.close) {
        close_cleanly(c.socket);
        co_return;
      }
    }
  }

  canned_response record_and_ask(std::uint64_t connection,
                                 const http::request<http::string_body>& message) {
    recorded_request r;
    r.received = std::chrono::steady_clock::now();
    r.connection = connection;
    r.method = std::string(message.method_string());
    r.target = std::string(message.target());
    for (const auto& field : message)
      r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    r.body = message.body();

    canned_response answer;
    answer.headers.emplace_back("Content-Type", "text/plain");
    if (handler_) {
      try {
        answer = handler_(r);
      } catch (const std::exception& e) {
        answer = canned_response{};
        answer.status = 500;
        answer.body = e.what();
      } catch (...) {
        answer = canned_response{};
        answer.status = 500;
        answer.body = "the request handler threw";
      }
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(r));
    }
    arrived_.notify_all();
    return answer;
  }

  request_handler handler_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_backoff_{io_};
  std::list<connection> live_;  // server thread only
  bool stopping_ = false;       // server thread only
  mutable std::mutex mutex_;    // guards requests_
  mutable std::condition_variable arrived_;
  std::vector<recorded_request> requests_;
  std::mutex stop_mutex_;
  std::thread thread_;
};

recording_server::recording_server(request_handler handler)
    : impl_(std::make_unique<impl>(std::move(handler))) {}

recording_server::~recording_server() = default;

std::uint16_t recording_server::port() const noexcept {
  return impl_->port_;
}

std::string recording_server::url(std::string_view path) const {
  std::string u = "http://127.0.0.1:" + std::to_string(impl_->port_);
  if (path.empty() || path.front() != '/') u.push_back('/');
  return u.append(path);
}

std::vector<recorded_request> recording_server::requests() const {
  return impl_->requests();
}

std::size_t recording_server::request_count() const {
  return impl_->request_count();
}

std::uint64_t recording_server::connections_accepted() const noexcept {
  return impl_->connections_accepted_.load();
}

std::uint64_t recording_server::connections_open() const noexcept {
  return impl_->connections_open_.load();
}

bool recording_server::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  return impl_->wait_for_requests(n, timeout);
}

void recording_server::stop() noexcept {
  impl_->stop();
}

}  // namespace ordeal::test
