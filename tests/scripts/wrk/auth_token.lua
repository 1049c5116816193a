-- Logs in once per thread, takes the token from a response header and sends it on every
-- later request. Requests that leave before the first login answer log in again.
local token = nil

function request()
  if token == nil then
    return wrk.format("POST", "/login", nil, "user=ordeal")
  end
  return wrk.format("GET", "/api/items", { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  if token == nil and status == 200 and headers["X-Auth-Token"] then
    token = headers["X-Auth-Token"]
  end
end
