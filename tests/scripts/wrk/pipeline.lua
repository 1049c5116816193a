-- Three requests in one request() result: wrk sends them as one pipelined batch (ordeal
-- sends them one after another on the connection's loop).
function init(args)
  batch = wrk.format(nil, "/one") .. wrk.format(nil, "/two") .. wrk.format(nil, "/three")
end

function request()
  return batch
end
