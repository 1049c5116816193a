-- Game day: what do retries do to load during an outage? Payments is down from 5 s to 15 s;
-- shoppers retry up to 5 times, fast. With a retry budget (retries at most 5% of first
-- attempts, plus 10), the extra load stays bounded; without one, every failure turns into
-- five requests at the moment the system is weakest, and the shop's threads, busy with
-- payments that cannot succeed, slow everyone down.
--
--   scripts/demo start && ordeal run scenarios/drills/retry-storm.lua
--   scripts/demo start && ordeal run scenarios/drills/retry-storm.lua -e RETRY_BUDGET=off
--
-- Compare the two reports' "Client behaviour" lines (amplification: attempts per operation,
-- retries made, retries the budget refused), the latency of every request and the share of
-- orders paid. The threshold on http_req_retries is the budget made visible: twice what the
-- budget allows. Without a budget the storm passes it (exit 99).
local shop = require("shop")

local budget = env.RETRY_BUDGET == "off" and 1000 or tonumber(env.RETRY_BUDGET or "0.05")
local rate = 20  -- shoppers per second: 4 requests each (cart, item, order, payment)

-- "20s" / "1.5m" / "500ms" -> seconds
local function seconds(text)
  local n, unit = text:match("^([%d.]+)(%a+)$")
  local scale = ({ ms = 0.001, s = 1, m = 60 })[unit]
  assert(n and tonumber(n) and scale, "DURATION: expected a number and a unit (ms, s, m), got " .. text)
  return tonumber(n) * scale
end
local duration = shop.duration("20s")
-- Twice what a 5% budget allows over the run's first attempts, plus its allowance of 10.
local bound = math.floor(2 * 0.05 * 4 * rate * seconds(duration) + 10)

options = {
  target = shop.target,
  scenarios = {
    shoppers = { executor = "constant-arrival-rate", rate = rate, duration = duration,
                 preAllocatedVUs = 20, maxVUs = 100, exec = "shopper" },
  },
  behaviour = {
    retry = { attempts = 5, backoff = "constant", base = "20ms", jitter = "none",
              on = { "timeout", "reset", 502, 503, 504 }, budget = budget },
  },
  timeout = "5s",
  proxies = shop.proxies(),
  faults = {
    { at = env.FAULT_AT or "5s", duration = env.FAULT_FOR or "10s", proxy = "payments",
      toxic = { name = "payments down", type = "down" } },
  },
  steady_state = shop.steady_state("30s"),
  idempotency = shop.idempotency,
  thresholds = {
    http_req_retries = "count<" .. bound,
  },
}

function setup() return shop.setup(0) end

function shopper() shop.buy() end
