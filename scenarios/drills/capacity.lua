-- Capacity test: where is the knee? The arrival rate of shoppers ramps up; each second, ordeal
-- measures the throughput, the p99 and the error rate, and reports the knee: the busiest second
-- in which the p99 budget (250 ms) and the error budget (1%) held, before they broke for three
-- seconds in a row.
--
--   scripts/demo start && ordeal run scenarios/drills/capacity.lua --out html=capacity.html
--   ordeal run scenarios/drills/capacity.lua -e MAX_RATE=1000 -e RAMP=2m  # push further
--
-- The verdict "capacity knee (p99<=250ms, errors<=1%)" says e.g. "840 req/s at 52s (p99 212ms,
-- errors 0.00%); broken from 55s: 910 req/s, p99 412ms, errors 0.20%". It fails only when no
-- second held the budgets (the knee is below the lowest rate tried). The HTML report shows
-- latency and throughput over time.
local shop = require("shop")

local max_rate = tonumber(env.MAX_RATE or "500")  -- shoppers per second at the end (x4 requests)

options = {
  target = shop.target,
  scenarios = {
    ramp = { executor = "ramping-arrival-rate", startRate = 5, timeUnit = "1s",
             preAllocatedVUs = 50, maxVUs = 500, exec = "shopper",
             stages = { { target = max_rate, duration = env.RAMP or "40s" } } },
  },
  timeout = "5s",
  proxies = shop.proxies(),
  steady_state = shop.steady_state("30s"),
  capacity = { p99 = "250ms", error_rate = 0.01, sustain = 3 },
}

function setup() return shop.setup(0) end

function shopper() shop.buy() end
