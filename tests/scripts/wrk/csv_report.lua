-- Writes a CSV summary in done() to the path given as the first script argument. init(args)
-- only runs in the threads, so the path reaches done() through a thread kept from setup().
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  csv_path = args[1]
end

function done(summary, latency, requests)
  local path = threads[1]:get("csv_path")
  local file = assert(io.open(path, "w"))
  local e = summary.errors
  file:write("requests,bytes,errors,p50_us,p99_us,max_us,duration_us\n")
  file:write(string.format("%d,%d,%d,%d,%d,%d,%d\n", summary.requests, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50),
    latency:percentile(99), latency.max, summary.duration))
  file:close()
end
