#pragma once

// Process exit codes (DESIGN.md; k6-compatible where k6 has one).
namespace ordeal::cli::exit_code {
inline constexpr int ok = 0;
inline constexpr int internal_error = 1;
inline constexpr int threshold_failed = 99;
inline constexpr int invalid_config = 104;
inline constexpr int aborted_by_signal = 105;
inline constexpr int script_error = 107;
inline constexpr int aborted_by_threshold = 108;  // an abort_on_fail threshold failed live
}  // namespace ordeal::cli::exit_code
