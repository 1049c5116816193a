#include "ordeal/engine/http_client.hpp"

#include "client_core.hpp"

namespace ordeal::engine {

struct http_client::impl : client_core {
  using client_core::client_core;
};

http_client::http_client(boost::asio::io_context& ioc, client_options options)
    : impl_(std::make_unique<impl>(ioc, options)) {}

http_client::~http_client() = default;

void http_client::send(http_request request, response_handler done) {
  impl_->send(std::move(request), std::move(done));
}

std::size_t http_client::in_flight() const noexcept {
  return impl_->in_flight();
}

std::size_t http_client::queued() const noexcept {
  return impl_->queued();
}

std::uint64_t http_client::connections_opened() const noexcept {
  return impl_->connections_opened();
}

std::size_t http_client::shutdown() noexcept {
  return impl_->shutdown();
}

}  // namespace ordeal::engine
