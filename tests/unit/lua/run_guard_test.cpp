// The run guard's hooks: the worker's alarmed guard leaves the main thread unhooked (any
// hook sends every Lua 5.4 instruction through the hook dispatch) until the alarm fires or
// a stop is set; the plain guard keeps its periodic hook.
#include "lua/lua_test_support.hpp"
#include "lua/run_guard.hpp"

#include <lua.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace rlm::lua {
namespace {

// A bare state whose allocator is the guard, as the sandbox makes it.
struct GuardedState {
  explicit GuardedState(bool alarm, Limits limits = testing::small_limits())
      : guard(limits, alarm), L(lua_newstate(&RunGuard::allocate, &guard)) {
    guard.attach(L);
  }
  ~GuardedState() { lua_close(L); }
  GuardedState(const GuardedState&) = delete;
  GuardedState& operator=(const GuardedState&) = delete;
  RunGuard guard;
  lua_State* L;
};

TEST(RunGuardHooks, AlarmedMainThreadRunsUnhookedBetweenAndDuringCells) {
  GuardedState s(true);
  EXPECT_EQ(lua_gethook(s.L), nullptr);
  s.guard.begin_cell();
  s.guard.arm_alarm();
  EXPECT_EQ(lua_gethook(s.L), nullptr);
  s.guard.end_cell();
  EXPECT_EQ(lua_gethook(s.L), nullptr);
}

TEST(RunGuardHooks, PlainGuardKeepsThePeriodicHook) {
  GuardedState s(false);
  EXPECT_NE(lua_gethook(s.L), nullptr);
  EXPECT_EQ(lua_gethookcount(s.L), 1000);
  s.guard.begin_cell();
  EXPECT_FALSE(s.guard.charge(1ULL << 40));
  EXPECT_EQ(lua_gethookcount(s.L), 1); // stopping: raised at every instruction
  s.guard.end_cell();
  EXPECT_EQ(lua_gethookcount(s.L), 1000);
}

TEST(RunGuardHooks, TheAlarmHooksTheMainThreadAtEveryInstruction) {
  auto limits = testing::small_limits();
  limits.cell_timeout_seconds = 0.02;
  GuardedState s(true, limits);
  s.guard.begin_cell();
  s.guard.arm_alarm();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (lua_gethook(s.L) == nullptr && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(lua_gethook(s.L), nullptr);
  EXPECT_EQ(lua_gethookcount(s.L), 1);
  s.guard.end_cell();
  EXPECT_EQ(lua_gethook(s.L), nullptr);
}

TEST(RunGuardHooks, AStopHooksTheUnhookedMainThreadSoItStaysSticky) {
  GuardedState s(true);
  s.guard.begin_cell();
  EXPECT_FALSE(s.guard.charge(1ULL << 40));
  EXPECT_EQ(s.guard.stop(), RunGuard::Stop::memory);
  EXPECT_NE(lua_gethook(s.L), nullptr);
  EXPECT_EQ(lua_gethookcount(s.L), 1);
  s.guard.end_cell();
  EXPECT_EQ(lua_gethook(s.L), nullptr);
  EXPECT_FALSE(s.guard.stopping());
}

TEST(RunGuardHooks, CoroutinesGetThePeriodicHook) {
  GuardedState s(true);
  lua_State* thread = lua_newthread(s.L);
  EXPECT_EQ(lua_gethook(thread), nullptr); // inherited from the unhooked main thread
  RunGuard::hook_coroutine(thread);
  EXPECT_NE(lua_gethook(thread), nullptr);
  EXPECT_EQ(lua_gethookcount(thread), 1000);
}

} // namespace
} // namespace rlm::lua
