// The unit tests' main: GoogleTest's, except that a Lua session cannot start here. A test that
// starts a lua::Session runs a worker process, so it belongs in tests/integration/; here the
// session finds no worker at the path below and the test fails with that error.
#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  ::setenv("RLM_WORKER_PATH", "/unit-tests-start-no-lua-worker", 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
