// The Lua 5.4 state that runs the model's code, inside the worker process.
//
// Design note. Every defence that can live inside the process lives here, so that most
// runaway code ends with a clean error and the REPL keeps its variables:
//  - only base, string, table, math, utf8 and coroutine are opened, and from them
//    dofile, loadfile, string.dump, warn and coroutine.close are removed; os is rebuilt
//    with clock/time/date/difftime only; collectgarbage answers "count" only;
//  - the global table is the sandbox: there is no other environment to escape to, and
//    `load` compiles text only (no binary chunks, no reader functions);
//  - a capped allocator (never failing a shrink) bounds memory;
//  - a count hook checks the deadline; once a cell must stop (time or memory), a sticky
//    flag makes our pcall, xpcall and coroutine.resume re-raise the error, and xpcall
//    handlers are skipped, so user code cannot swallow the stop;
//  - setmetatable refuses __gc (finalizers run with hooks off), the string metatable is
//    hidden, string.rep and table.move refuse sizes that would run for hours.
// What cannot be stopped in-process (a C function that never returns, a VM crash) is the
// job of the parent: it kills this process at the hard deadline (session.cpp).
#pragma once

#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct lua_State;
struct lua_Debug;

namespace rlm::lua {

class RegexCache;

// A document as the sandbox receives it: a name and its text (not owned).
struct DocumentText {
  std::string_view name;
  std::string_view text;
};

class Sandbox {
public:
  // With `alarm`, a SIGALRM at the deadline makes the hook fire on the very next VM
  // instruction, so a loop whose time goes to slow C calls still stops on time. Only one
  // alarmed sandbox may exist in a process (the worker has one).
  Sandbox(const Limits& limits, Host& host, bool alarm = false);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Makes the documents visible as `context` (joined by a blank line) and `documents` (one
  // by one), with the metadata variables. Call once, before the first cell. Throws
  // std::runtime_error when they do not fit in the memory limit.
  void load_documents(std::span<const DocumentText> documents);

  // Runs one cell. Never throws for anything the code does.
  CellResult run(std::string_view code);

  std::uint64_t memory_in_use() const { return m_used; }

  // --- for the tool functions (tools_*.cpp), which reach the sandbox from a lua_State ---
  static Sandbox& of(lua_State* L);
  const Limits& limits() const { return m_limits; }
  std::string_view context() const { return m_context; }
  // Line starts of `context`, built on first use and counted against the memory limit
  // (8 bytes a line); raises a memory stop when they do not fit.
  const std::vector<std::uint64_t>& line_starts(lua_State* L);
  RegexCache& regex_cache() { return *m_regex; }
  // Scratch buffers owned here, so Lua-facing C functions keep no heap-owning locals
  // across Lua API calls (which may longjmp on an error).
  std::string& scratch() { return m_scratch; }
  std::vector<std::string>& prompts() { return m_prompts; }
  std::vector<QueryResult>& query_results() { return m_query_results; }
  // Asks the host; the time spent waiting does not count against the cell's limit.
  void query_host();
  void append_output(std::string_view text);
  void set_final(std::string answer) { m_final = std::move(answer); }
  // True once the cell must stop (time or memory); our pcall wrappers re-raise then.
  bool stopping() const { return m_stop != Stop::none; }
  // For C loops that may run long: raises the stop when the deadline has passed.
  void check_deadline(lua_State* L);
  // After a protected call failed with `status` and the error value on top: if it was Lua
  // running out of memory (after its emergency collection), the cell must stop.
  void note_failure(lua_State* L, int status);

private:
  enum class Stop { none, timeout, memory };

  static void* allocate(void* self, void* block, std::size_t old_size, std::size_t new_size);
  void push_documents(lua_State* L);
  // Remembers rlm's tools and the document variables, so each cell starts with them intact.
  void snapshot_tools(lua_State* L);
  // Puts back whatever an earlier cell replaced; names what it restored in m_scratch.
  static int restore_tools(lua_State* L);
  static void on_hook(lua_State* L, lua_Debug* ar);
  static void on_alarm(int signal);
  void open_libraries();
  void finish_error(int status, CellResult& result);
  void arm_alarm(); // (re)starts the alarm for the current deadline; no-op without `alarm`
  void disarm_alarm();

  Limits m_limits;
  Host& m_host;
  bool m_alarm = false;
  std::uint64_t m_used = 0;
  std::uint64_t m_peak = 0;
  lua_State* m_state = nullptr;
  std::unique_ptr<RegexCache> m_regex;
  std::chrono::steady_clock::time_point m_deadline;
  Stop m_stop = Stop::none;
  bool m_refused = false;                  // the allocator refused a block during this cell
  std::span<const DocumentText> m_loading; // during load_documents only
  std::string_view m_context; // the `context` string's bytes, kept alive by the registry
  std::vector<std::uint64_t> m_line_starts;
  std::string m_output;
  std::uint64_t m_output_dropped = 0;
  std::optional<std::string> m_final;
  std::uint64_t m_sub_calls = 0;
  std::string m_scratch;
  std::vector<std::string> m_prompts;
  std::vector<QueryResult> m_query_results;
};

// Registers each group of tools into the global table (tools_*.cpp).
void register_core_tools(lua_State* L);  // FINAL, FINAL_VAR, llm_query, llm_query_batched, print
void register_text_tools(lua_State* L);  // line, lines, slice, chunk, chunk_lines, grep
void register_regex_tools(lua_State* L); // the `re` table

// Pushes a string with `message` cut to the cell's max_error_bytes and raises it. Call only
// when no C++ object with a destructor is alive in the calling frame.
[[noreturn]] void raise_error(lua_State* L, std::string_view message);

} // namespace rlm::lua
