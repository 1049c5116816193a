-- A POST with a JSON body, from the wrk table alone (no request() hook).
wrk.method = "POST"
wrk.body = '{"name":"ordeal","n":1}'
wrk.headers["Content-Type"] = "application/json"
