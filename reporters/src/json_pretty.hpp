#pragma once

#include <boost/json.hpp>
#include <ostream>

namespace ordeal::reporters::detail {

// Boost.JSON 1.81 only writes compact text with doubles as "1.5E0". Result files are read by
// people and diffed between runs too, so: indented, a container on one line when it fits in
// 100 columns (an array element, a record, in 200), doubles in their shortest decimal form (always
// with a "." or exponent, so they read back as doubles), non-finite doubles as null.
void write_pretty(std::ostream& out, const boost::json::value& v);

}  // namespace ordeal::reporters::detail
