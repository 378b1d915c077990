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
//  - the deadline: in the worker a SIGALRM hooks the (otherwise unhooked) main thread, and
//    coroutines carry a periodic count hook; once a cell must stop (time or memory), a sticky
//    flag makes our pcall, xpcall and coroutine.resume re-raise the error, and xpcall
//    handlers are skipped, so user code cannot swallow the stop;
//  - setmetatable refuses __gc (finalizers run with hooks off), the string metatable is
//    hidden, string.rep and table.move refuse sizes that would run for hours.
// The parts: run_guard (allocator, hook, alarm, stop), stdlib_wrappers (the libraries and
// their wrappers), tool_registry (the tools), reserved_globals (putting back what a cell
// replaced), document_access (whether a cell read the document); this file loads the
// documents and runs cells. What cannot be stopped in-process (a C function that never
// returns, a VM crash) is the job of the parent: it kills this process at the hard deadline
// (session.cpp).
#pragma once

#include "document_access.hpp"
#include "run_guard.hpp"

#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"
#include "rlm/lua/tool_file.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct lua_State;

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

  // Runs one of the user's tool files as a cell named after its path, under a cell's limits,
  // after load_documents. Why it failed, in one line ("tool file dates.lua:3: ..."), or
  // nothing: a file that fails, calls FINAL, or replaces one of rlm's names is refused, and
  // llm_query fails while it loads.
  std::optional<std::string> load_tool(const ToolFile& tool);

  std::uint64_t memory_in_use() const { return m_guard.used(); }

  // --- for the tool functions (tools_*.cpp), which reach the sandbox from a lua_State ---
  // Their buffers are members, so Lua-facing C functions keep no heap-owning locals across
  // Lua API calls, which may longjmp on an error (raise.hpp).
  static Sandbox& of(lua_State* L);
  const Limits& limits() const { return m_guard.limits(); }
  RunGuard& guard() { return m_guard; }
  DocumentAccess& document_access() { return m_access; }
  std::string_view context() const { return m_context; }
  // Line starts of `context`, built on first use and counted against the memory limit
  // (8 bytes a line); raises a memory stop when they do not fit.
  const std::vector<std::uint64_t>& line_starts(lua_State* L);
  RegexCache& regex_cache() { return *m_regex; }
  std::vector<std::string>& prompts() { return m_prompts; }
  std::vector<QueryResult>& query_results() { return m_query_results; }
  std::string& answer_buffer() { return m_answer; }          // FINAL's text as it is written
  std::vector<const void*>& open_tables() { return m_open; } // tables FINAL is writing
  std::string& rewrite_buffer() { return m_rewrite; }        // re.replace's result
  std::string& restored_names() { return m_restored_names; } // what the restore put back
  // Asks the host; the time spent waiting does not count against the cell's limit.
  void query_host();
  void append_output(std::string_view text);
  // A grep that `max` cut short says so in the output (the first few in a cell), so a count
  // taken from #hits is not mistaken for all of them.
  void note_capped_grep(std::int64_t shown, std::int64_t total);
  // A regex that matched nothing and holds a Lua pattern class (%d, %s, ...) says why.
  void note_if_lua_pattern(std::string_view pattern);
  void set_final(std::string answer) { m_final = std::move(answer); }
  // For C loops that may run long: raises the stop when the deadline has passed.
  void check_deadline(lua_State* L) { m_guard.check_deadline(L); }

private:
  void push_documents(lua_State* L);
  std::uint64_t push_document_table(lua_State* L); // returns the characters in all
  void push_counts(lua_State* L, std::uint64_t characters);
  void begin_cell();
  CellResult run_chunk(std::string_view code, const char* chunk_name);
  void run_code(std::string_view code, const char* chunk_name, CellResult& result);
  void finish_error(int status, CellResult& result);
  CellResult collect(CellResult result, double seconds);

  RunGuard m_guard; // before m_state: its allocator
  Host& m_host;
  lua_State* m_state = nullptr;
  std::unique_ptr<RegexCache> m_regex;
  DocumentAccess m_access;
  std::span<const DocumentText> m_loading; // during load_documents only
  std::string_view m_joined;               // during load_documents only: `context`'s text
  std::string_view m_context; // the `context` string's bytes, kept alive by the registry
  std::vector<std::uint64_t> m_line_starts;
  std::string m_output;
  std::uint64_t m_output_dropped = 0;
  std::optional<std::string> m_final;
  std::uint64_t m_sub_calls = 0;
  int m_capped_greps = 0; // noted in this cell
  bool m_loading_tool = false;
  std::string m_restored_names;
  std::string m_answer;
  std::vector<const void*> m_open;
  std::string m_rewrite;
  std::vector<std::string> m_prompts;
  std::vector<QueryResult> m_query_results;
};

} // namespace rlm::lua
