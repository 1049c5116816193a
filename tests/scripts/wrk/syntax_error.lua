-- Does not load: the function has no end.
function request()
  return wrk.format(
