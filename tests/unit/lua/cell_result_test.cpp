// What the model reads after a cell.
#include "rlm/lua/cell_result.hpp"

#include <gtest/gtest.h>

namespace rlm::lua {
namespace {

// A cell may print any bytes; the model's message must be valid UTF-8 (it goes into a JSON
// request), so each byte that is not becomes U+FFFD there, and valid text is untouched.
TEST(RenderForModel, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  CellResult result;
  result.output = "caf\xe9 ok é\n";
  result.error = CellError{CellError::Kind::runtime, "cell:1: \xff"};
  EXPECT_EQ(render_for_model(result), "caf\xEF\xBF\xBD ok é\nerror: cell:1: \xEF\xBF\xBD\n");
}

} // namespace
} // namespace rlm::lua
