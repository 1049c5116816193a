-- Each thread counts its responses in a global; setup() keeps the thread objects so done()
-- can read every thread's count with thread:get() after the run.
local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("id", started)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
end

function response(status, headers, body)
  responses = responses + 1
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    local id, n = thread:get("id"), thread:get("responses")
    io.write(string.format("thread %d responses %d\n", id, n))
    total = total + n
  end
  io.write(string.format("threads total %d summary %d\n", total, summary.requests))
end
