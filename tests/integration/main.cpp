// The integration tests' main: like gtest_main, except that a Lua session started by a test
// runs its worker by executing this binary again, so it must be able to act as the worker.
#include "rlm/lua/worker.hpp"

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  if (const int code = rlm::lua::run_worker_if_requested(argc, argv); code >= 0) return code;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
