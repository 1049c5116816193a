-- The planted-bug target (tests/targets/) under a realistic, misbehaving load, with every
-- verdict ordeal has: latency budgets per request name and status, idempotency (responses
-- consistent, effects exactly once), and data integrity (set, counter, bank, unique ids).
-- With the target's bugs off, every verdict passes; each bug breaks exactly one of them
-- (tests/integration/planted_bugs_test.cpp):
--   ignore_idempotency_key -> idempotency (exit 97)
--   lost_update            -> integrity: hits, a counter (exit 98)
--   unstored_writes        -> integrity: items, a set (exit 98)
--   slow_path              -> http_req_duration{name:search,status:200}: p(99) (exit 99)
--
--   ordeal run bank.lua -e TARGET=127.0.0.1:8080 [-e PROXY_PORT=18080] [-e DURATION=3s]
--
-- TARGET is the planted target's host:port. With PROXY_PORT, the load goes through a fault
-- proxy listening on that port, and the fault timeline below breaks connections and loses
-- replies during the run. The checkers' reads and the effects hook always go straight to the
-- target: they verify the system, they are not part of the load.
local target = assert(env.TARGET, "set -e TARGET=HOST:PORT (the planted target)")
local direct = "http://" .. target
local duration = env.DURATION or "3s"
local proxy_port = env.PROXY_PORT
local faulty = proxy_port ~= nil

-- A read of the target's state for a verdict. options.behaviour applies to the hooks'
-- requests too, so these turn abandonment and duplicates off: a verdict's read that the client
-- itself abandoned would prove nothing (an errored final read fails its checker).
local function verify(path)
  return http.get(direct .. path, { abandon = { probability = 0 },
                                    duplicate = { probability = 0 } }):json()
end

local function constant(vus, exec)
  return { executor = "constant-vus", vus = vus, duration = duration, exec = exec,
            graceful_stop = "2s" }
end

options = {
  target = faulty and ("http://127.0.0.1:" .. proxy_port) or direct,
  timeout = "2s",
  scenarios = {
    transfers = constant(3, "transfer"),
    counting = constant(4, "count"),
    writing = constant(2, "write"),
    ordering = constant(1, "order"),
    searching = constant(2, "search"),
  },
  -- Real clients misbehave: they retry what broke, send some things twice, and give up on
  -- some requests halfway. None of it may make a correct system look wrong.
  behaviour = {
    retry = { attempts = 3, backoff = "constant", base = "5ms", jitter = "none",
              on = { "timeout", "reset", 502, 503 }, budget = 1 },
    abandon = { probability = 0.02, after = "request_sent" },
  },
  thresholds = {
    -- The search budget: 1 in 20 searches stalling for 400 ms breaks p(99), not the median.
    ["http_req_duration{name:search,status:200}"] = { "p(99)<250ms", "med<100ms" },
    ["http_reqs{name:search}"] = { "count>=40" },
    iterations = { "count>100" },
    ["checks{check:transfer status expected}"] = { "rate>=1" },
  },
  idempotency = {
    ignore_json = { "$.created_at" },
    effects = function(op)
      return verify("/transfers?key=" .. op.key).count
    end,
  },
  integrity = {
    items = { type = "set", read = function() return verify("/items").ids end },
    hits = { type = "counter", read = function() return verify("/counter").value end },
    money = { type = "bank", every = "1s",
              read = function() return verify("/accounts") end,
              check = function(accounts)
                local total = 0
                for _, a in ipairs(accounts) do total = total + a.balance end
                return total == 1000, "total " .. total
              end },
    order_ids = { type = "unique" },
  },
}

if faulty then
  options.proxies = {
    target = { listen = "127.0.0.1:" .. proxy_port, upstream = target, http = true },
  }
  options.faults = {
    -- Slower for a while: budgets must still hold.
    { at = "200ms", duration = "800ms", proxy = "target",
      toxic = { type = "latency", latency = "20ms", jitter = "10ms" } },
    -- Some responses cut by a connection reset: the server acted, the client cannot know.
    { at = "1s", duration = "700ms", proxy = "target",
      toxic = { type = "reset_peer", timeout = 0, toxicity = 0.05, toxicity_per = "chunk" } },
    -- Transfers whose reply is lost after the target executed them: retried with their key.
    { at = "1700ms", duration = "700ms", proxy = "target",
      http = { match = { method = "POST", path = "/transfers" }, abort = 503,
               after_upstream = true, probability = 0.2 } },
    -- Item writes refused before they reach the target (a definite failure).
    { at = "1700ms", duration = "700ms", proxy = "target",
      http = { match = { method = "POST", path = "/items" }, abort = 429, probability = 0.1 } },
  }
end

-- A transfer between two accounts, once per idempotency key; a third of them sent twice,
-- one after the other or racing.
function transfer()
  local from = rand.int(1, 10)
  local to = (from + rand.int(0, 8)) % 10 + 1  -- any other account
  local r = http.post("/transfers", {
    json = { from = from, to = to, amount = rand.int(1, 20) },
    name = "transfer",
    idempotency_key = true,
    duplicate = { probability = 0.3, mode = rand.pick({ "sequential", "concurrent" }) },
  })
  -- 409: a duplicate raced the first; 422: not enough money; 0: no answer (reset, abandoned).
  check(r, { ["transfer status expected"] = function(res)
    return res.status == 201 or res.status == 409 or res.status == 422 or res.status == 0
  end })
  sleep(0.02)
end

-- Increments are not idempotent: never retried nor duplicated, or the counter's bounds would
-- not hold for a correct server either.
function count()
  local r = http.post("/counter/incr", { name = "incr", retry = { attempts = 1 },
                                         duplicate = { probability = 0 } })
  integrity.add("hits", 1, r)
  sleep(0.001)
end

-- Each write adds an element of its own; retries and duplicates of it are harmless in a set.
function write()
  local id = vu.id * 1000000 + vu.iteration
  local r = http.post("/items", { json = { id = id }, name = "item",
                                  duplicate = { probability = 0.1 } })
  integrity.add("items", id, r)
  sleep(0.005)
end

function order()
  local r = http.post("/orders", { json = { item = rand.int(1, 50) }, name = "order" })
  if r.status == 201 then integrity.add("order_ids", r:json().id, r) end
  sleep(0.01)
end

function search()
  http.get("/search?q=" .. rand.int(1, 1000), { name = "search" })
  sleep(0.01)
end
