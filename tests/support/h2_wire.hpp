#pragma once

// HTTP/2 on the wire for test servers that write frames by hand (RFC 9113 framing, RFC 7541
// HPACK without Huffman or indexing): the frame types, flags, error codes and settings they
// need, and the encoders.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ordeal::test::h2_wire {

namespace frame {
constexpr std::uint8_t data = 0x0;
constexpr std::uint8_t headers = 0x1;
constexpr std::uint8_t rst_stream = 0x3;
constexpr std::uint8_t settings = 0x4;
constexpr std::uint8_t push_promise = 0x5;
constexpr std::uint8_t ping = 0x6;
constexpr std::uint8_t goaway = 0x7;
constexpr std::uint8_t window_update = 0x8;
constexpr std::uint8_t continuation = 0x9;
}  // namespace frame

namespace flag {
constexpr std::uint8_t end_stream = 0x1;
constexpr std::uint8_t ack = 0x1;
constexpr std::uint8_t end_headers = 0x4;
}  // namespace flag

namespace error {
constexpr std::uint32_t no_error = 0x0;
constexpr std::uint32_t protocol_error = 0x1;
constexpr std::uint32_t frame_size_error = 0x6;
constexpr std::uint32_t enhance_your_calm = 0xb;
}  // namespace error

constexpr std::uint16_t settings_max_concurrent_streams = 0x3;
constexpr std::uint16_t settings_initial_window_size = 0x4;

constexpr char status_200 = '\x88';  // indexed field 8 of the static table: ":status: 200"
constexpr std::size_t content_length_index = 28;
constexpr std::size_t content_type_index = 31;
constexpr std::size_t huge_header_value_bytes = 4096;

void put16(std::string& out, std::uint16_t v);
void put32(std::string& out, std::uint32_t v);
std::uint32_t get32(const char* p);
void put_frame_header(std::string& out, std::size_t length, std::uint8_t type, std::uint8_t flags,
                      std::uint32_t stream);
// RFC 7541 5.1: an integer with an N-bit prefix; `first` holds the bits above the prefix.
void hpack_int(std::string& out, std::size_t value, int prefix_bits, std::uint8_t first);
void hpack_string(std::string& out, std::string_view s);
// Literal header field without indexing, name by static-table index (RFC 7541 6.2.2).
void hpack_literal_indexed_name(std::string& out, std::size_t name_index, std::string_view value);
// Literal header field without indexing, new name.
void hpack_literal(std::string& out, std::string_view name, std::string_view value);
// ":status: 200", content-length and content-type.
std::string response_header_block(std::size_t body_bytes);
// A response header block padded with literal fields to at least total_bytes.
std::string huge_header_block(std::size_t total_bytes, std::size_t body_bytes);

}  // namespace ordeal::test::h2_wire
