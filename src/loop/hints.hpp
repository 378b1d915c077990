// Hints for the slips models trained on Python make in Lua: a cell's error (or, for a few
// slips Lua does not report, its code) mapped to one line naming the Lua form. The loop
// appends the hint to the cell's output as "hint: ..."; tests/unit/loop/hints_test.cpp has
// one test per slip, each with the error message Lua 5.4 really gives.
#pragma once

#include "rlm/lua/cell_result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rlm::loop {

// The hint for a cell that failed with `error`, if a rule knows the slip.
std::optional<std::string> error_hint(std::string_view code, const lua::CellError& error);

// The hint for a cell that ran without an error but used Python's None, True or False, which
// are unknown names in Lua, so silently nil.
std::optional<std::string> silent_slip_hint(std::string_view code);

} // namespace rlm::loop
