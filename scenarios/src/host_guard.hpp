#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ordeal::scenarios {

// The blast-radius guard (options.allow_hosts): a drill sends traffic, faults and actions only
// to hosts its patterns allow. A pattern is a host name ("localhost", matched without case), a
// "*.suffix" wildcard (any name under the suffix, not the suffix itself), "*" (anything: an
// explicit opt-out), an IP address, or a CIDR range ("10.0.0.0/8", "fd00::/8"). Names are not
// resolved: "db.local" is allowed by a pattern that names it, whatever address it has.

// Throws engine::config_error "<path>: ..." for a malformed pattern (e.g. "10.0.0.0/33").
void check_host_pattern(const std::string& pattern, const std::string& path);

bool host_allowed(std::string_view host, const std::vector<std::string>& patterns);

// Throws engine::config_error unless `host` is allowed: "<where>: host example.com is outside
// options.allow_hosts (localhost, 127.0.0.0/8, ::1): add it there to aim the drill at it".
void require_allowed_host(std::string_view host, const std::vector<std::string>& patterns,
                          const std::string& where);

}  // namespace ordeal::scenarios

namespace ordeal::scenarios {

struct drill_options;

// Everything a drill aims at, checked before anything runs: options.target, the upstream of
// every proxy in options.proxies, the URL of every HTTP action and rollback. Throws
// engine::config_error "<drill_name>: options.<field>: host ... is outside options.allow_hosts".
void check_blast_radius(const drill_options& d, const std::string& drill_name);

}  // namespace ordeal::scenarios
