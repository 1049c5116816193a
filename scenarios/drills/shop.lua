-- The demo system's shared parts for the drills in this folder (docs/demo.md, docs/drills.md):
-- where the shop, payments and the fault proxy between them live, a shopper's journey, the
-- steady state, and the idempotency and integrity checks. Each drill does `require("shop")`.
--
-- Aim the drills at your own system by changing these (or with -e SHOP=... -e PAYMENTS=...),
-- and name its hosts in options.allow_hosts.
local shop = {}

shop.target = env.SHOP or "http://127.0.0.1:8080"
shop.payments = env.PAYMENTS or "http://127.0.0.1:8081"
-- The shop reaches payments through this address (scripts/demo starts it with
-- --payments http://127.0.0.1:18081): each drill opens its fault proxy here.
shop.payments_proxy = env.PAYMENTS_PROXY or "127.0.0.1:18081"

-- A duration from the environment ("20s"), for short runs in tests and the quickstart.
function shop.duration(default)
  return env.DURATION or default
end

local function host_port(url)
  return (url:gsub("^https?://", ""):gsub("/.*$", ""))
end

-- The fault proxy between the shop and payments (HTTP-aware, so faults can pick requests).
function shop.proxies()
  return {
    payments = { listen = shop.payments_proxy, upstream = host_port(shop.payments), http = true },
  }
end

-- What "healthy" means: checked before the drill (it does not start otherwise) and after it,
-- retried for up to `within` (how long that takes is the time to recover).
function shop.steady_state(within)
  return {
    within = within or "30s",
    interval = "250ms",
    probes = {
      { name = "health answers 200", tolerance = 200,
        probe = function() return http.get("/health", { timeout = "2s" }).status end },
      { name = "health answers within 500ms", tolerance = { 0, 500 },
        probe = function() return http.get("/health", { timeout = "2s" }).timings.duration end },
    },
  }
end

local skus = { "shoe-red", "shoe-blue", "sock", "hat", "scarf" }

-- One shopper: a cart, an item, an order (the shop dedupes it by its Idempotency-Key) and its
-- payment (the key ordeal tracks: retries and duplicates reuse it; the idempotency verdict
-- compares their answers and counts the charges). Returns the order id and the payment's
-- response, or nil.
function shop.buy()
  local cart = http.post("/carts", { json = {}, name = "create-cart" })
  if cart.status ~= 201 then return nil end
  local cart_id = cart:json().id
  local item = http.post("/carts/" .. cart_id .. "/items", {
    json = { sku = rand.pick(skus), qty = rand.int(1, 3), price_cents = rand.int(100, 5000) },
    name = "add-item",
  })
  if item.status ~= 200 then return nil end
  local order = http.post("/orders", {
    json = { cart_id = cart_id },
    headers = { ["Idempotency-Key"] = uuid() },
    name = "place-order",
  })
  check(order, { ["order placed"] = order.status == 201 })
  if order.status ~= 201 then return nil end
  local id = order:json().id
  if options.integrity and options.integrity.orders then integrity.add("orders", id, order) end
  local pay = http.post("/orders/" .. id .. "/pay", { json = {}, idempotency_key = true, name = "pay" })
  check(pay, { ["order paid"] = pay.status == 200 })
  return id, pay
end

-- The idempotency verdict: every attempt with one key answered alike, and its action happened
-- exactly once: one order per order key, one transfer per transfer key, one charge per payment
-- key at payments (read directly), counted after the load and the faults have ended.
shop.idempotency = {
  ignore_json = { "$.created_at" },
  effects = function(op)
    if op.name == "place-order" then  -- orders made with this key, at the shop
      return http.get("/orders", { query = { key = op.key } }):json().count
    end
    if op.name == "transfer" then  -- transfers made with this key
      return http.get("/transfers", { query = { key = op.key } }):json().count
    end
    return http.get(shop.payments .. "/charges", { query = { reference = op.key } }):json().count
  end,
}

-- Orders created by this run (ids above the highest one before it, set by shop.setup).
order_floor = 0

-- Accounts for transfers, and the total they hold: no transfer may change it.
bank_total = 0

function shop.setup(accounts)
  local ids = http.get("/orders"):json().ids
  for _, id in ipairs(ids) do order_floor = math.max(order_floor, id) end
  local account_ids = {}
  for i = 1, accounts or 0 do
    local a = http.post("/accounts", { json = { name = "drill-" .. i, balance_cents = 10000 } })
    assert(a.status == 201, "could not create an account: " .. a.status)
    account_ids[#account_ids + 1] = a:json().id
  end
  bank_total = http.get("/accounts"):json().total_cents
  return { accounts = account_ids }
end

-- One transfer between two of the drill's accounts (a 409 for insufficient funds is fine).
function shop.transfer(data)
  local from, to = rand.pick(data.accounts), rand.pick(data.accounts)
  if from == to then return end
  local r = http.post("/transfers", {
    json = { from = from, to = to, amount_cents = rand.int(1, 500) },
    idempotency_key = true, name = "transfer",
  })
  check(r, { ["transfer answered"] = r.status == 201 or r.status == 409 })
end

-- The integrity checkers: every acknowledged order is still there after the run (set), and the
-- money in the accounts never changes, during the run and after it (bank).
function shop.integrity(with_bank)
  local checkers = {
    orders = {
      type = "set",
      read = function()
        local mine = {}
        for _, id in ipairs(http.get("/orders"):json().ids) do
          if id > order_floor then mine[#mine + 1] = id end
        end
        return json.array(mine)
      end,
    },
  }
  if with_bank then
    checkers.money = {
      type = "bank", every = "1s",
      read = function() return http.get("/accounts"):json().total_cents end,
      check = function(total)
        return total == bank_total, "total " .. total .. " cents, expected " .. bank_total
      end,
    }
  end
  return checkers
end

return shop
