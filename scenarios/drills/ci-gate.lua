-- CI gate: a short, steady run with budgets, for a pipeline. It fails the build (exit 99) when a
-- budget breaks, and with --baseline when it got slower than the last good run.
--
--   ordeal run scenarios/drills/ci-gate.lua --out json=result.json --out junit=junit.xml
--   ordeal run scenarios/drills/ci-gate.lua --baseline baseline.json --max-regression p99=20%
--   ordeal compare baseline.json result.json --max-regression p99=20% --max-regression rps=10%
--
-- docs/ci.md has a GitHub Actions job around it. Keep the rate modest: a CI runner is small and
-- noisy; regressions show in the ratio to the baseline more than in absolute figures.
-- Expect: exit 0 against the demo as built; exit 98 with --bug lost-update (transfers lose money).
local shop = require("shop")

options = {
  target = shop.target,
  seed = 42,  -- the same traffic every run: comparisons between runs compare the system
  scenarios = {
    shoppers = { executor = "constant-arrival-rate", rate = 10, duration = shop.duration("15s"),
                 preAllocatedVUs = 10, maxVUs = 40, exec = "shopper" },
    tellers = { executor = "constant-vus", vus = 4, duration = shop.duration("15s"),
                exec = "teller" },
  },
  timeout = "5s",
  proxies = shop.proxies(),
  steady_state = shop.steady_state("10s"),
  idempotency = shop.idempotency,
  integrity = shop.integrity(true),
  thresholds = {
    http_req_duration = { "p(95)<200", "p(99)<500" },
    ["http_req_duration{name:pay}"] = "p(99)<500",
    http_req_failed = "rate<0.01",
    checks = "rate>0.99",
  },
}

function setup() return shop.setup(8) end

function shopper() shop.buy() end

function teller(data)
  shop.transfer(data)
  sleep(0.02)
end
