-- Each thread stops itself after 5 responses.
local responses = 0

function response(status, headers, body)
  responses = responses + 1
  if responses >= 5 then
    wrk.thread:stop()
  end
end
