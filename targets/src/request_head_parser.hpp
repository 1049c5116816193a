#pragma once

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>

#include "ordeal/targets/response_shape.hpp"

namespace ordeal::targets::detail {

// Keeps only what `ordeal serve` answers from and throws the body away as it arrives.
// Unlike http::request_parser it stores no fields, so a request allocates nothing; the
// base class still tracks Connection, Content-Length and Transfer-Encoding for keep_alive()
// and framing. Not reusable (Beast parsers never are): one per request, on the frame.
class request_head_parser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit request_head_parser(std::uint32_t max_header_bytes) {
    header_limit(max_header_bytes);
    body_limit(boost::none);  // discarded, so any length is harmless
  }

  const shape_or_error& shape() const noexcept { return shape_; }
  bool head_method() const noexcept { return head_method_; }
  int version() const noexcept { return version_; }  // 10 or 11
  bool expect_continue() const noexcept { return expect_continue_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  using verb = boost::beast::http::verb;
  using field = boost::beast::http::field;

  // The target is only valid during this call: shape the response now rather than copy it.
  void on_request_impl(verb method, string_view, string_view target, int version,
                       error_code&) override {
    head_method_ = method == verb::head;
    version_ = version;
    shape_ = parse_response_shape({target.data(), target.size()});
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field name, string_view, string_view value, error_code&) override {
    if (name == field::expect && boost::beast::iequals(value, "100-continue")) {
      expect_continue_ = true;
    }
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  shape_or_error shape_;
  int version_ = 11;
  bool head_method_ = false;
  bool expect_continue_ = false;
};

}  // namespace ordeal::targets::detail
