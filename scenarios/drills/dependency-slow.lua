-- Game day: the payments dependency slows down by 500 ms for 20 s. Do the shop's timeouts and
-- retries keep the latency budget, and does every payment still happen exactly once?
--
--   scripts/demo start && ordeal run scenarios/drills/dependency-slow.lua
--
-- The shop gives payments 800 ms per attempt: +500 ms (plus jitter) is slow but inside it, so
-- payments stay correct; p99 of a payment must stay under 2 s. Transfers run beside the
-- shoppers, and the bank checker watches the total every second.
-- Expect: exit 0; with --bug lost-update, exit 98 (the total changed).
local shop = require("shop")

options = {
  target = shop.target,
  scenarios = {
    shoppers = { executor = "constant-arrival-rate", rate = 15, duration = shop.duration("40s"),
                 preAllocatedVUs = 20, maxVUs = 80, exec = "shopper" },
    tellers = { executor = "constant-vus", vus = 4, duration = shop.duration("40s"),
                exec = "teller" },
  },
  behaviour = { retry = { attempts = 2, on = { "timeout", "reset", 502, 503, 504 } } },
  timeout = "5s",
  proxies = shop.proxies(),
  faults = {
    { at = env.FAULT_AT or "10s", duration = env.FAULT_FOR or "20s", proxy = "payments",
      toxic = { name = "slow payments", type = "latency", latency = "500ms", jitter = "100ms" } },
  },
  steady_state = shop.steady_state("20s"),
  idempotency = shop.idempotency,
  integrity = shop.integrity(true),
  thresholds = {
    ["http_req_duration{name:pay}"] = "p(99)<2000",
    ["http_req_failed{name:pay}"] = "rate<0.01",
    checks = "rate>0.99",
  },
}

function setup() return shop.setup(8) end

function shopper() shop.buy() end

function teller(data)
  shop.transfer(data)
  sleep(0.02)
end
