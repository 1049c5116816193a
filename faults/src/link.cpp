#include "link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy.hpp"
#include "proxy_connection.hpp"

namespace ordeal::faults {

namespace asio = boost::asio;
namespace {
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
}

// ---- stage_context ----

asio::awaitable<void> stage_context::forward(chunk_view c) {
  co_await link_.run_from(index_ + 1, c);
}

asio::awaitable<void> stage_context::forward_end() {
  co_await link_.end_from(index_ + 1);
}

asio::awaitable<bool> stage_context::sleep_until(clock::time_point t) {
  while (live()) {
    if (clock::now() >= t) co_return true;
    link_.sleep_timer_.expires_at(t);
    auto [ec] = co_await link_.sleep_timer_.async_wait(nothrow);
    if (!ec) co_return true;
  }
  co_return false;
}

bool stage_context::live() const noexcept {
  return !removed_ && !link_.closing_;
}

void stage_context::close_connection() {
  link_.connection().close(false);
}

void stage_context::reset_connection() {
  link_.connection().close(true);
}

asio::awaitable<void> stage_context::inject(stream_direction d, std::string bytes) {
  co_await link_.connection().direction(d).inject(std::move(bytes));
}

std::shared_ptr<void>& stage_context::shared_state() {
  return link_.connection().shared_state(&owner_);
}

void stage_context::record_hit(std::string detail) {
  auto& conn = link_.connection();
  engine::fault_event e;
  e.what = engine::fault_event::kind::hit;
  e.proxy = conn.state().name;
  e.fault = owner_.spec().name;
  e.type = owner_.spec().type;
  e.stream = std::string(to_string(link_.direction()));
  e.connection = conn.id();
  e.client = conn.client();
  e.detail = std::move(detail);
  conn.state().events->record(std::move(e));
}

asio::any_io_executor stage_context::executor() const {
  return link_.sleep_timer_.get_executor();
}

stream_direction stage_context::direction() const noexcept {
  return link_.direction();
}

std::uint64_t stage_context::connection_id() const noexcept {
  return link_.conn_.id();
}

std::uint64_t stage_context::stream_bytes() const noexcept {
  return link_.bytes_in_;
}

asio::awaitable<void> toxic_stage::on_data(chunk_view c, stage_context& ctx) {
  co_await ctx.forward(c);
}

asio::awaitable<void> toxic_stage::on_end(stage_context& ctx) {
  co_await ctx.forward_end();
}

// ---- link ----

link::link(proxy_connection& conn, stream_direction d, asio::ip::tcp::socket& source,
           asio::ip::tcp::socket& sink)
    : conn_(conn),
      direction_(d),
      source_(source),
      sink_(sink),
      queue_(source.get_executor(), queue_chunks),
      sleep_timer_(source.get_executor()) {}

link::~link() = default;

std::unique_ptr<char[]> link::take_buffer() {
  if (pool_.empty()) return std::make_unique<char[]>(chunk_bytes);
  auto b = std::move(pool_.back());
  pool_.pop_back();
  return b;
}

asio::awaitable<void> link::read_loop() {
  for (;;) {
    chunk c;
    c.buffer = take_buffer();
    auto [ec, n] =
        co_await source_.async_read_some(asio::buffer(c.buffer.get(), chunk_bytes), nothrow);
    if (closing_) co_return;
    if (ec) {
      // EOF passes on as a FIN; a reset (or worse) as a reset, behind the data still queued or
      // held by a toxic: a response sent just before an RST still reaches the client.
      c.end = true;
      c.reset = ec != asio::error::eof;
      c.buffer.reset();
    } else {
      c.size = n;
      c.read_at = clock::now();
    }
    const bool end = c.end;
    auto [sec] = co_await queue_.async_send(boost::system::error_code{}, std::move(c), nothrow);
    if (sec || end) co_return;
  }
}

asio::awaitable<void> link::inject(std::string bytes) {
  if (closing_) co_return;
  chunk c;
  c.size = bytes.size();
  c.buffer = std::make_unique<char[]>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), c.buffer.get());
  c.read_at = clock::now();
  c.injected = true;
  co_await queue_.async_send(boost::system::error_code{}, std::move(c), nothrow);
}

asio::awaitable<void> link::write_loop() {
  for (;;) {
    auto [ec, c] = co_await queue_.async_receive(nothrow);
    if (ec || closing_) break;
    if (stale_ || version_ != conn_.state().version) rebuild();
    if (!c.injected) bytes_in_ += c.size;
    if (c.end && c.reset) {
      conn_.close(true);
      break;
    }
    running_ = true;
    if (c.end) {
      co_await end_from(0);
      running_ = false;
      // A toxic that swallowed the FIN (half_open) holds it until it goes: each
      // change of the toxics runs the end through the chain again.
      while (!sink_done_ && !closing_) {
        end_held_ = true;
        sleep_timer_.expires_at(clock::time_point::max());
        co_await sleep_timer_.async_wait(nothrow);
        end_held_ = false;
        if (closing_) break;
        if (stale_ || version_ != conn_.state().version) rebuild();
        running_ = true;
        co_await end_from(0);
        running_ = false;
      }
      break;
    }
    co_await run_from(0, chunk_view{c.buffer.get(), c.size, c.read_at, c.injected});
    running_ = false;
    if (c.buffer && !c.injected && pool_.size() < queue_chunks + 2)
      pool_.push_back(std::move(c.buffer));
    if (sink_done_) break;
  }
  chain_.clear();
  queue_.close();  // an inject() into a finished direction must not wait for room forever
  conn_.direction_done();
}

void link::refresh() {
  if (closing_ || sink_done_) return;
  if (!running_) {
    rebuild();
    if (end_held_) sleep_timer_.cancel();
    return;
  }
  // A chunk is inside the chain: the chain is put in order at the next boundary, but a
  // removed stage stops holding data now, and a new one joins at the end of the chain now (a
  // reset_peer added while a latency toxic holds a chunk resets at once, not after it).
  stale_ = true;
  const auto& now = conn_.state().toxics;
  for (auto& s : chain_)
    if (std::find(now.begin(), now.end(), s->owner) == now.end()) s->ctx->removed_ = true;
  for (const auto& t : now) {
    const bool present =
        std::any_of(chain_.begin(), chain_.end(), [&](const auto& s) { return s->owner == t; });
    if (present) continue;
    auto s = make_slot(t);
    if (!s) continue;
    s->ctx->index_ = chain_.size();
    chain_.push_back(std::move(s));
    activate(*chain_.back());
  }
  sleep_timer_.cancel();
}

void link::close() {
  closing_ = true;
  queue_.close();
  sleep_timer_.cancel();
}

std::unique_ptr<link::slot> link::make_slot(const std::shared_ptr<const toxic>& t) {
  auto stage = t->make_stage(direction_);
  if (!stage) return nullptr;
  auto s = std::make_unique<slot>();
  s->owner = t;
  s->stage = std::move(stage);
  const auto& spec = t->spec();
  std::uint64_t seed = mix_seed(conn_.state().seed, spec.name);
  seed = mix_seed(seed, conn_.id());
  seed = mix_seed(seed, static_cast<std::uint64_t>(direction_));
  s->ctx = std::make_unique<stage_context>(*this, 0, *t, seed);
  if (t->link_draws_toxicity() && spec.per == toxicity_draw::connection)
    s->applies = s->ctx->random().chance(spec.toxicity);
  return s;
}

void link::activate(slot& s) {
  if (s.hit || !s.applies) return;
  const bool per_connection =
      !s.owner->link_draws_toxicity() || s.owner->spec().per == toxicity_draw::connection;
  if (!per_connection) return;  // per chunk: the first chunk it applies to records the hit
  s.hit = true;
  if (s.owner->link_draws_toxicity()) s.ctx->record_hit({});
  s.stage->start(*s.ctx);
}

void link::rebuild() {
  stale_ = false;
  version_ = conn_.state().version;
  std::vector<std::unique_ptr<slot>> next;
  for (const auto& t : conn_.state().toxics) {
    auto old = std::find_if(chain_.begin(), chain_.end(),
                            [&](const auto& s) { return s && s->owner == t; });
    if (old != chain_.end()) {
      next.push_back(std::move(*old));
      continue;
    }
    if (auto s = make_slot(t)) next.push_back(std::move(s));
  }
  chain_ = std::move(next);
  for (std::size_t i = 0; i < chain_.size(); ++i) {
    chain_[i]->ctx->index_ = i;
    activate(*chain_[i]);
  }
}

bool link::uses(slot& s) {
  if (!s.owner->link_draws_toxicity()) return true;
  if (s.owner->spec().per == toxicity_draw::connection) return s.applies;
  if (!s.ctx->random().chance(s.owner->spec().toxicity)) return false;
  if (!s.hit) {
    s.hit = true;
    s.ctx->record_hit("per chunk");
  }
  return true;
}

asio::awaitable<void> link::run_from(std::size_t i, chunk_view c) {
  // A stage passes data on by calling forward, which comes back here for the next stage.
  for (; i < chain_.size(); ++i) {
    slot& s = *chain_[i];  // a slot never moves in memory, though chain_ may grow meanwhile
    if (s.ctx->removed_ || !uses(s)) continue;
    co_await s.stage->on_data(c, *s.ctx);
    co_return;
  }
  co_await write_sink(c);
}

asio::awaitable<void> link::end_from(std::size_t i) {
  for (; i < chain_.size(); ++i) {
    slot& s = *chain_[i];
    if (s.ctx->removed_ || !uses(s)) continue;
    co_await s.stage->on_end(*s.ctx);
    co_return;
  }
  if (sink_done_ || closing_) co_return;
  boost::system::error_code ignored;
  sink_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  sink_done_ = true;
}

asio::awaitable<void> link::write_sink(chunk_view c) {
  if (sink_done_ || closing_ || c.size == 0) co_return;
  auto [ec, n] = co_await asio::async_write(sink_, asio::buffer(c.data, c.size), nothrow);
  if (ec && !closing_) {
    sink_done_ = true;
    conn_.close(ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
  }
}

}  // namespace ordeal::faults
