// The integration tests' main: like gtest_main, except that the Lua sessions the tests start
// run the rlm-worker this build made (RLM_WORKER_PROGRAM), unless RLM_WORKER_PATH names another.
#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  ::setenv("RLM_WORKER_PATH", RLM_WORKER_PROGRAM, 0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
