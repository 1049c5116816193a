-- wrk.lookup and wrk.connect: setup() points the thread at the first address of the URL's
-- host; init() reports which addresses take a connection, including a closed port given as
-- the first script argument.
function setup(thread)
  thread.addr = wrk.lookup(wrk.host, wrk.port)[1]
end

function init(args)
  io.write(string.format("thread addr %s\n", tostring(wrk.thread.addr)))
  for _, addr in ipairs(wrk.lookup(wrk.host, wrk.port)) do
    io.write(string.format("lookup %s connect %s\n", tostring(addr), tostring(wrk.connect(addr))))
  end
  local closed = wrk.lookup("127.0.0.1", args[1])[1]
  io.write(string.format("closed %s connect %s\n", tostring(closed), tostring(wrk.connect(closed))))
end
