#include "ordeal/engine/metric_timeline.hpp"

#include <algorithm>
#include <stdexcept>

namespace ordeal::engine {

namespace {

using bucket_list = std::vector<histogram::bucket_count>;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::uint64_t get_varint(std::string_view in, std::size_t& at) {
  std::uint64_t v = 0;
  for (int shift = 0; at < in.size() && shift < 64; shift += 7) {
    const auto byte = static_cast<unsigned char>(in[at++]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  throw std::invalid_argument("metric_sample: truncated bucket list");
}

std::string pack(const bucket_list& buckets) {
  std::string out;
  out.reserve(buckets.size() * 3);
  std::uint32_t previous = 0;
  for (const auto& b : buckets) {
    put_varint(out, b.index - previous);
    put_varint(out, b.count);
    previous = b.index;
  }
  out.shrink_to_fit();
  return out;
}

bucket_list unpack(std::string_view packed) {
  bucket_list out;
  std::size_t at = 0;
  std::uint64_t index = 0;
  while (at < packed.size()) {
    index += get_varint(packed, at);
    const auto count = get_varint(packed, at);
    out.push_back({static_cast<std::uint32_t>(index), count});
  }
  return out;
}

}  // namespace

metric_sample metric_sample::of(const metric& m, std::uint32_t series) {
  metric_sample s;
  s.series = series;
  s.samples = m.samples;
  s.trues = m.trues;
  s.sum = m.sum;
  s.min = m.min;
  s.max = m.max;
  s.last = m.last;
  if (m.kind == metric_kind::trend && m.values.count() > 0) s.buckets = pack(m.values.sparse());
  return s;
}

void metric_sample::add_to(metric& m) const {
  m.sum += sum;
  m.samples += samples;
  m.min = std::min(m.min, min);
  m.max = std::max(m.max, max);
  if (samples) m.last = last;
  m.trues += trues;
  if (!buckets.empty()) m.values.add_sparse(unpack(buckets));
}

void metric_sample::merge(const metric_sample& other) {
  sum += other.sum;
  samples += other.samples;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  if (other.samples) last = other.last;
  trues += other.trues;
  if (other.buckets.empty()) return;
  if (buckets.empty()) {
    buckets = other.buckets;
    return;
  }
  const auto a = unpack(buckets);
  const auto b = unpack(other.buckets);
  bucket_list merged;
  merged.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].index < b[j].index)) {
      merged.push_back(a[i++]);
    } else if (i == a.size() || b[j].index < a[i].index) {
      merged.push_back(b[j++]);
    } else {
      merged.push_back({a[i].index, a[i].count + b[j].count});
      ++i;
      ++j;
    }
  }
  buckets = pack(merged);
}

std::uint32_t metric_timeline::series_id(std::string_view key, metric_kind kind, bool is_time) {
  if (const auto it = index_.find(key); it != index_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(series_.size());
  series_.push_back({std::string(key), kind, is_time});
  index_.emplace(std::string(key), id);
  return id;
}

void metric_timeline::add(std::size_t second, metric_sample s) {
  if (second >= seconds_.size()) seconds_.resize(second + 1);
  auto& row = seconds_[second];
  for (auto& existing : row) {
    if (existing.series == s.series) {
      existing.merge(s);
      return;
    }
  }
  row.push_back(std::move(s));
}

std::vector<bool> metric_timeline::matching(const metric_filter& filter) const {
  std::vector<bool> mask(series_.size());
  for (std::size_t i = 0; i < series_.size(); ++i)
    mask[i] = filter.matches(series_[i].key);
  return mask;
}

std::optional<metric> metric_timeline::select(const std::vector<bool>& mask, std::size_t from,
                                              std::size_t to) const {
  std::optional<metric> out;
  for (std::size_t i = 0; i < mask.size() && i < series_.size(); ++i) {
    if (!mask[i]) continue;
    out.emplace();
    out->kind = series_[i].kind;
    out->is_time = series_[i].is_time;
    break;
  }
  if (!out) return out;
  to = std::min(to, seconds_.size());
  for (std::size_t s = from; s < to; ++s)
    for (const auto& sample : seconds_[s])
      if (sample.series < mask.size() && mask[sample.series]) sample.add_to(*out);
  return out;
}

std::optional<metric> metric_timeline::select(const metric_filter& filter, std::size_t from,
                                              std::size_t to) const {
  return select(matching(filter), from, to);
}

std::size_t metric_timeline::memory_bytes() const noexcept {
  std::size_t bytes = series_.capacity() * sizeof(metric_series) +
                      seconds_.capacity() * sizeof(std::vector<metric_sample>);
  for (const auto& s : series_)
    bytes += 2 * s.key.capacity() + 64;  // the key, its copy in the index and the index's node
  for (const auto& row : seconds_) {
    bytes += row.capacity() * sizeof(metric_sample);
    for (const auto& sample : row)
      if (sample.buckets.capacity() > 15) bytes += sample.buckets.capacity() + 1;
  }
  return bytes;
}

}  // namespace ordeal::engine
