-- response() fails on every response: the run goes on and the error is reported once.
function response(status, headers, body)
  error("boom")
end
