-- Game day: payments goes down and stays down until the load ends. Does the shop say so
-- (health 503), are the errors bounded to payments, and how long does it take to recover once
-- payments is back?
--
--   scripts/demo start && ordeal run scenarios/drills/dependency-down.lua
--
-- During the outage, paying fails (502 from the shop) but browsing and ordering go on; a
-- watcher polls /health and counts the 503s. When the load ends, the fault is rolled back and
-- the steady state is probed until it holds again: the report's "steady state: health answers
-- 200  held again after 1.2s" is the time to recover.
-- Expect: exit 0; with --bug blind-health (health ignores payments), exit 99 (health never 503).
local shop = require("shop")

local degraded = counter("health_degraded")

options = {
  target = shop.target,
  scenarios = {
    shoppers = { executor = "constant-arrival-rate", rate = 10, duration = shop.duration("20s"),
                 preAllocatedVUs = 10, maxVUs = 40, exec = "shopper" },
    watcher = { executor = "constant-vus", vus = 1, duration = shop.duration("20s"),
                exec = "watch" },
  },
  timeout = "5s",
  proxies = shop.proxies(),
  faults = {
    -- From 5 s to the end of the load: connections to payments are refused.
    { at = env.FAULT_AT or "5s", proxy = "payments", toxic = { name = "payments down", type = "down" } },
  },
  steady_state = shop.steady_state("30s"),
  thresholds = {
    health_degraded = "count>0",                           -- health did go 503
    ["http_req_failed{name:place-order}"] = "rate<0.01",   -- ordering is not payments
    ["http_req_failed{name:create-cart}"] = "rate<0.01",
  },
}

function setup() return shop.setup(0) end

function shopper() shop.buy() end

function watch()
  local r = http.get("/health", { name = "health", timeout = "2s" })
  if r.status == 503 then degraded:add(1) end
  sleep(0.25)
end
