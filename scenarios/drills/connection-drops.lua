-- Game day: connections drop mid-response. Does every payment still happen exactly once?
--
-- Between the shop and payments, a fault proxy loses 30% of the replies to charges after
-- payments has charged (the shop's connection is reset mid-response, as a crashed load balancer
-- or a cut link would do). The shop must retry with the same Idempotency-Key so that payments
-- replays the charge instead of making a second one. Shoppers misbehave too: they retry, and
-- 5% of payments are sent twice.
--
--   scripts/demo start && ordeal run scenarios/drills/connection-drops.lua
--   scripts/demo start --bug non-idempotent-retry && ordeal run scenarios/drills/connection-drops.lua
--
-- Expect: exit 0 with the shop as built; exit 97 (idempotency: duplicated charges, with the
-- attempt timelines and the faults that hit them) with --bug non-idempotent-retry.
local shop = require("shop")

options = {
  target = shop.target,
  scenarios = {
    shoppers = { executor = "constant-arrival-rate", rate = 20, duration = shop.duration("20s"),
                 preAllocatedVUs = 20, maxVUs = 60, exec = "shopper" },
  },
  behaviour = {
    retry = { attempts = 3, base = "50ms", on = { "timeout", "reset", 502, 503, 504 } },
    duplicate = { probability = 0.05 },
  },
  timeout = "5s",
  proxies = shop.proxies(),
  faults = {
    { at = env.FAULT_AT or "2s", proxy = "payments",
      http = { name = "lost replies", match = { method = "POST", path = "/charges" }, abort = 502,
               after_upstream = true, lost = "reset", probability = 0.3 } },
  },
  steady_state = shop.steady_state("20s"),
  idempotency = shop.idempotency,
  integrity = shop.integrity(false),
  thresholds = {
    checks = "rate>0.95",
    ["http_req_duration{name:pay}"] = "p(99)<3000",
  },
}

function setup() return shop.setup(0) end

function shopper() shop.buy() end
