#include "png_image.hpp"

#include <boost/beast/zlib/inflate_stream.hpp>
#include <cstdlib>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace ordeal::test {

namespace {

std::uint32_t be32(const std::string& b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

std::vector<std::uint8_t> inflate(const std::string& zlib_stream, std::size_t expected) {
  // PNG holds a zlib stream: a 2-byte header, raw deflate, an Adler-32. Beast inflates raw
  // deflate; the checksum is not checked (a corrupt stream still fails to inflate or to fill
  // the image).
  if (zlib_stream.size() < 6) throw std::runtime_error("png: image data too short");
  boost::beast::zlib::inflate_stream inflater;
  std::vector<std::uint8_t> out(expected);
  boost::beast::zlib::z_params zs;
  zs.next_in = zlib_stream.data() + 2;
  zs.avail_in = zlib_stream.size() - 2;
  zs.next_out = out.data();
  zs.avail_out = out.size();
  boost::system::error_code ec;
  inflater.write(zs, boost::beast::zlib::Flush::finish, ec);
  if (ec && ec != boost::beast::zlib::error::end_of_stream)
    throw std::runtime_error("png: cannot inflate the image data: " + ec.message());
  if (zs.total_out != expected)
    throw std::runtime_error("png: image data holds " + std::to_string(zs.total_out) +
                             " bytes, expected " + std::to_string(expected));
  return out;
}

std::uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<std::uint8_t>(a);
  return static_cast<std::uint8_t>(pb <= pc ? b : c);
}

}  // namespace

png_image png_image::decode(const std::string& bytes) {
  static const std::string signature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.compare(0, 8, signature) != 0) throw std::runtime_error("png: not a PNG file");
  png_image img;
  int channels = 0;
  std::string idat;
  for (std::size_t at = 8; at + 12 <= bytes.size();) {
    const std::uint32_t length = be32(bytes, at);
    const std::string type = bytes.substr(at + 4, 4);
    if (at + 12 + length > bytes.size()) throw std::runtime_error("png: truncated chunk " + type);
    const std::size_t data = at + 8;
    if (type == "IHDR") {
      img.width = be32(bytes, data);
      img.height = be32(bytes, data + 4);
      const int depth = static_cast<unsigned char>(bytes[data + 8]);
      const int colour = static_cast<unsigned char>(bytes[data + 9]);
      const int interlace = static_cast<unsigned char>(bytes[data + 12]);
      if (depth != 8 || (colour != 2 && colour != 6) || interlace != 0)
        throw std::runtime_error("png: only 8-bit RGB/RGBA, not interlaced, is handled");
      channels = colour == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      idat.append(bytes, data, length);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (channels == 0 || img.width == 0 || img.height == 0)
    throw std::runtime_error("png: no image header");
  const std::size_t stride = static_cast<std::size_t>(img.width) * channels;
  const auto raw = inflate(idat, (stride + 1) * img.height);

  // Undo each row's filter (PNG spec, section 9) against the previous, unfiltered, row.
  std::vector<std::uint8_t> prev(stride, 0), row(stride);
  img.pixels.reserve(static_cast<std::size_t>(img.width) * img.height);
  for (std::uint32_t y = 0; y < img.height; ++y) {
    const std::uint8_t* line = raw.data() + y * (stride + 1);
    const int filter = line[0];
    for (std::size_t i = 0; i < stride; ++i) {
      const int x = line[1 + i];
      const int a = i >= static_cast<std::size_t>(channels) ? row[i - channels] : 0;
      const int b = prev[i];
      const int c = i >= static_cast<std::size_t>(channels) ? prev[i - channels] : 0;
      int v = 0;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + (a + b) / 2;
          break;
        case 4:
          v = x + paeth(a, b, c);
          break;
        default:
          throw std::runtime_error("png: bad filter type " + std::to_string(filter));
      }
      row[i] = static_cast<std::uint8_t>(v);
    }
    for (std::size_t i = 0; i < stride; i += channels)
      img.pixels.push_back(
          static_cast<std::uint32_t>(row[i]) << 24 | static_cast<std::uint32_t>(row[i + 1]) << 16 |
          static_cast<std::uint32_t>(row[i + 2]) << 8 | (channels == 4 ? row[i + 3] : 0xffu));
    prev.swap(row);
  }
  return img;
}

std::size_t png_image::distinct_colours() const {
  return std::unordered_set<std::uint32_t>(pixels.begin(), pixels.end()).size();
}

double png_image::non_background_share() const {
  if (pixels.empty()) return 0;
  std::unordered_map<std::uint32_t, std::size_t> counts;
  std::size_t most = 0;
  for (const auto p : pixels)
    most = std::max(most, ++counts[p]);
  return 1.0 - static_cast<double>(most) / static_cast<double>(pixels.size());
}

}  // namespace ordeal::test
