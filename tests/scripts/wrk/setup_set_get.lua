-- setup() hands each thread its id and a table; the thread builds its request from them in
-- init() (the request without request() is rendered after init()).
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  thread:set("config", { path = "/t" .. count, tags = { "a", "b" } })
  local back = thread:get("config")
  assert(back.path == "/t" .. count and back.tags[2] == "b", "thread:get returned another value")
end

function init(args)
  wrk.path = config.path
  wrk.headers["X-Thread"] = tostring(id)
end
