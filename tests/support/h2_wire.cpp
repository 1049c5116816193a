#include "h2_wire.hpp"

namespace ordeal::test::h2_wire {

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

std::uint32_t get32(const char* p) {
  const auto b = [p](int i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

void put_frame_header(std::string& out, std::size_t length, std::uint8_t type, std::uint8_t flags,
                      std::uint32_t stream) {
  out.push_back(static_cast<char>((length >> 16) & 0xff));
  out.push_back(static_cast<char>((length >> 8) & 0xff));
  out.push_back(static_cast<char>(length & 0xff));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  put32(out, stream & 0x7fffffffu);
}

// RFC 7541 5.1: an integer with an N-bit prefix; `first` holds the bits above the prefix.
void hpack_int(std::string& out, std::size_t value, int prefix_bits, std::uint8_t first) {
  const std::size_t max_prefix = (std::size_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out.push_back(static_cast<char>(first | value));
    return;
  }
  out.push_back(static_cast<char>(first | max_prefix));
  value -= max_prefix;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void hpack_string(std::string& out, std::string_view s) {
  hpack_int(out, s.size(), 7, 0x00);  // H = 0: no Huffman coding
  out.append(s);
}

// Literal header field without indexing, name by static-table index (RFC 7541 6.2.2).
void hpack_literal_indexed_name(std::string& out, std::size_t name_index, std::string_view value) {
  hpack_int(out, name_index, 4, 0x00);
  hpack_string(out, value);
}

// Literal header field without indexing, new name.
void hpack_literal(std::string& out, std::string_view name, std::string_view value) {
  out.push_back('\x00');
  hpack_string(out, name);
  hpack_string(out, value);
}

std::string response_header_block(std::size_t body_bytes) {
  std::string block(1, status_200);
  hpack_literal_indexed_name(block, content_length_index, std::to_string(body_bytes));
  hpack_literal_indexed_name(block, content_type_index, "text/plain");
  return block;
}

std::string huge_header_block(std::size_t total_bytes, std::size_t body_bytes) {
  std::string block = response_header_block(body_bytes);
  const std::string value(huge_header_value_bytes, 'h');
  for (int i = 0; block.size() < total_bytes; ++i) {
    hpack_literal(block, "x-huge-" + std::to_string(i), value);
  }
  return block;
}

}  // namespace ordeal::test::h2_wire
