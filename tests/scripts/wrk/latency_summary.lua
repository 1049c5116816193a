-- done() prints the summary table and the latency and requests stats objects.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("summary duration_us %d requests %d bytes %d\n", summary.duration,
    summary.requests, summary.bytes))
  io.write(string.format("errors connect %d read %d write %d status %d timeout %d\n", e.connect,
    e.read, e.write, e.status, e.timeout))
  io.write(string.format("latency min %d p50 %d p90 %d p99 %d max %d\n", latency.min,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write(string.format("latency mean %.2f stdev %.2f distinct %d\n", latency.mean,
    latency.stdev, #latency))
  local counted = 0
  for i = 1, #latency do
    local value, count = latency(i)
    counted = counted + count
  end
  io.write(string.format("latency counted %d\n", counted))
  io.write(string.format("requests mean %.2f max %d\n", requests.mean, requests.max))
end
