// The unit tests' main: GoogleTest's, except that this binary refuses to be a Lua worker.
// A test that starts a lua::Session runs a worker process, so it belongs in
// tests/integration/; here the session sees its worker exit at once and the test fails.
#include "lua/protocol.hpp"

#include <gtest/gtest.h>

#include <cstring>

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], rlm::lua::protocol::k_worker_flag) == 0) return 70;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
