-- Prints what init() receives: args[0] is the URL, args[1..] the arguments after "--".
function init(args)
  io.write(string.format("init: %d args: %s | url %s\n", #args, table.concat(args, " "), args[0]))
end
