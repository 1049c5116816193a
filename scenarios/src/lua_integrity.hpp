#pragma once

struct lua_State;

namespace ordeal::scenarios {

// Registers the global table `integrity` in a worker's state:
//   integrity.add(checker, value, response)
// records, for the options.integrity checker named `checker`, that the operation behind
// `response` added `value` (set: an element; counter: an increment; unique: an id the system
// returned; bank: a transfer, for the history export). The operation's outcome decides the
// kind: ok if any attempt was ok, else info if any was, else fail.
void open_integrity_api(lua_State* L);

}  // namespace ordeal::scenarios
