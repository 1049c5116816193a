-- Waits a random 10-30 ms before each request: about 50 requests/s per connection.
function init(args)
  math.randomseed(42)
end

function delay()
  return math.random(10, 30)
end
