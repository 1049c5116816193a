#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ordeal::test {

// A decoded PNG, as much as the screenshot tests need: 8-bit RGB or RGBA, not interlaced
// (what Chromium writes). Pixels are RGBA whatever the file held.
struct png_image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint32_t> pixels;  // 0xRRGGBBAA, row by row

  // Throws std::runtime_error saying what is wrong (not a PNG, a format not handled, a
  // corrupt stream). Inflates with Beast's zlib (no other library).
  static png_image decode(const std::string& bytes);

  std::size_t distinct_colours() const;
  // Share of pixels that differ from the most common colour (the background).
  double non_background_share() const;
};

}  // namespace ordeal::test
