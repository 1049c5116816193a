-- Game day: deploy the shop under load. A restart at 10 s, through the shop's admin endpoint
-- (what a deploy pipeline would call). With graceful draining, no shopper may see a failure and
-- no acknowledged order may vanish.
--
--   scripts/demo start && ordeal run scenarios/drills/deploy-under-load.lua
--   scripts/demo start --no-drain && ordeal run scenarios/drills/deploy-under-load.lua
--   scripts/demo start --bug ack-before-commit && ordeal run scenarios/drills/deploy-under-load.lua
--
-- Shoppers do not retry here: every failure the restart causes is counted as it is.
-- Expect: exit 0 as built; exit 99 with --no-drain (requests cut mid-flight); exit 98 with
-- --bug ack-before-commit (orders acknowledged before they were stored are lost in the restart).
-- The restart could as well be a command: exec = "systemctl restart shop" (with --allow-exec).
local shop = require("shop")

options = {
  target = shop.target,
  scenarios = {
    shoppers = { executor = "constant-arrival-rate", rate = 20, duration = shop.duration("20s"),
                 preAllocatedVUs = 20, maxVUs = 80, exec = "shopper" },
  },
  timeout = "5s",
  proxies = shop.proxies(),
  actions = {
    { name = "restart the shop", at = env.RESTART_AT or "10s",
      http = { method = "POST", url = "/admin/restart", expect = 202 } },
  },
  steady_state = shop.steady_state("30s"),
  integrity = shop.integrity(false),
  thresholds = {
    http_req_failed = "rate<=0",  -- zero failed requests
    checks = "rate>=1",
  },
}

function setup() return shop.setup(0) end

function shopper() shop.buy() end
