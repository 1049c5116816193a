#include "client_h2_stream.hpp"

#include "response_capture.hpp"

namespace ordeal::engine {

namespace {

// The texts h2_connection reports for the same ends, so both paths count alike.
constexpr const char* not_processed = "GOAWAY: not processed (above the server's last stream id)";
constexpr const char* timed_out_text = "no complete response within the request timeout";

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

void client_h2_stream::reset(http_request&& r, response_handler&& d) {
  request = std::move(r);
  done = std::move(d);
  response = http_response{};
  response.started = request.intended;
  nva.clear();
  id = 0;
  ++generation;
  where = stage::waiting;
  opener = false;
  resent = false;
  first_byte = false;
  end_queued = false;
  on_wire = false;
  timed_out = false;
  abandoning = false;
  body_allowed = 0;
  sent_mark = 0;
  send_started = sent = first_byte_at = deadline = {};
  if (trickle_timer) trickle_timer->cancel();
}

void client_h2_stream::build_headers() {
  const auto& r = request;
  std::string_view authority = r.target.authority;
  bool has_agent = false;
  bool has_length = false;
  for (const auto& [name, value] : r.headers) {
    if (header_name_equals(name, "host")) authority = value;
    if (header_name_equals(name, "user-agent")) has_agent = true;
    if (header_name_equals(name, "content-length")) has_length = true;
  }
  h2_request_headers headers(r.method, r.target.secure() ? "https" : "http", authority,
                             r.target.target);
  for (const auto& [name, value] : r.headers)
    if (!header_name_equals(name, "host")) headers.add(name, value);  // :authority carries it
  if (!has_agent) headers.add("user-agent", "ordeal/" ORDEAL_VERSION);
  const bool needs_length =
      !r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
  if (needs_length && !has_length) headers.add("content-length", std::to_string(r.body.size()));
  nva.assign(headers.data(), headers.data() + headers.size());
  for (auto& nv : nva)
    nv.flags = NGHTTP2_NV_FLAG_NONE;
  header_text = std::move(headers);  // moving keeps the strings nva points to
}

void client_h2_stream::on_header(std::string_view name, std::string_view value) {
  response.bytes_received += name.size() + value.size() + 4;  // as "name: value\r\n"
  if (!name.empty() && name.front() == ':') return;
  response.headers.emplace_back(name, value);
}

void client_h2_stream::on_body(std::string_view chunk, std::size_t max_body_bytes) {
  response.bytes_received += chunk.size();
  if (response.body.size() >= max_body_bytes) return;
  response.body.append(chunk.substr(0, max_body_bytes - response.body.size()));
}

void client_h2_stream::set_outcome(const h2_stream_end& how, outcome closing,
                                   const std::string& closing_reason) {
  auto& r = response;
  if (how.kind != stream_end_kind::complete || abandoning || timed_out) {
    // As over HTTP/1.1: a request that failed carries no part of a response.
    r.headers.clear();
    r.body.clear();
  }
  if (abandoning) {
    r.result = outcome::abandoned;
    r.error = request.abandon == abandon_point::first_byte ? "abandoned at the first response byte"
                                                           : "abandoned after the request was sent";
    r.status = 0;
    return;
  }
  if (timed_out) {
    r.result = outcome::timeout;
    r.error = timed_out_text;
    r.status = 0;
    return;
  }
  switch (how.kind) {
    case stream_end_kind::complete:
      r.result = outcome_of_status(r.status);
      return;
    case stream_end_kind::refused:
      r.result = outcome::refused;
      r.error = starts_with(how.reason, "GOAWAY")       ? not_processed
                : starts_with(how.reason, "RST_STREAM") ? "RST_STREAM REFUSED_STREAM"
                                                        : std::string(how.reason);
      break;
    case stream_end_kind::reset_by_peer:
      r.result = outcome::stream_reset;
      r.error.assign("RST_STREAM ").append(h2_error_name(how.error_code));
      break;
    case stream_end_kind::cancelled:  // only ever by us, and then flagged above
      r.result = outcome::abandoned;
      r.error = "stream cancelled";
      break;
    case stream_end_kind::protocol:
      r.result = outcome::protocol;
      r.error.assign(how.reason);
      break;
    case stream_end_kind::session_closed:
      r.result = closing;
      r.error = closing_reason;
      break;
  }
  r.status = 0;
}

}  // namespace ordeal::engine
