#include "sandbox.hpp"

#include "raise.hpp"
#include "regex_cache.hpp"
#include "reserved_globals.hpp"
#include "rlm/util/utf8_text.hpp"
#include "stdlib_wrappers.hpp"
#include "tools.hpp"

#include <lua.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace rlm::lua {

using Clock = RunGuard::Clock;

Sandbox::Sandbox(const Limits& limits, Host& host, bool alarm)
    : m_guard(limits, alarm), m_host(host), m_regex(std::make_unique<RegexCache>()) {
  m_state = lua_newstate(&RunGuard::allocate, &m_guard);
  if (m_state == nullptr) throw std::bad_alloc();
  lua_atpanic(m_state, [](lua_State* L) -> int {
    // An error outside any protected call: nothing can be unwound safely. In the worker
    // this ends the process, and the parent reports the REPL as crashed and restarts it.
    const char* message = lua_tostring(L, -1);
    std::fprintf(stderr, "rlm lua worker: unprotected Lua error: %s\n",
                 message != nullptr ? message : "?");
    std::abort();
  });
  *static_cast<Sandbox**>(lua_getextraspace(m_state)) = this;
  open_safe_libraries(m_state);
  register_tools(m_state);
  m_guard.attach(m_state);
}

Sandbox::~Sandbox() {
  if (m_state != nullptr) lua_close(m_state);
}

Sandbox& Sandbox::of(lua_State* L) { return **static_cast<Sandbox**>(lua_getextraspace(L)); }

void Sandbox::load_documents(std::span<const DocumentText> documents) {
  // The joined text is a local here, outside every Lua call, so an error raised by Lua
  // while it exists cannot skip its destructor.
  std::string joined;
  for (std::size_t i = 0; documents.size() != 1 && i < documents.size(); ++i) {
    if (i > 0) joined += "\n\n";
    joined += documents[i].text;
  }
  m_joined = documents.size() == 1 ? documents[0].text : std::string_view(joined);
  m_loading = documents;
  m_access.reserve_texts(documents.size() + 1);
  // In a protected call: a document over the memory limit is an error, not a Lua panic.
  lua_pushcfunction(m_state, [](lua_State* L) {
    of(L).push_documents(L);
    return 0;
  });
  const int status = lua_pcall(m_state, 0, 0, 0);
  m_loading = {};
  m_joined = {};
  if (status != LUA_OK) {
    lua_settop(m_state, 0);
    m_guard.end_cell();
    throw std::runtime_error(
        fmt::format("the documents do not fit in the REPL's memory limit of {} MB; "
                    "raise [sandbox] memory_limit_mb",
                    limits().memory_limit_bytes >> 20));
  }
}

// One string for `context`; with one document it is also documents[1].text.
void Sandbox::push_documents(lua_State* L) {
  lua_pushlstring(L, m_joined.data(), m_joined.size());
  m_context = std::string_view(lua_tostring(L, -1), m_joined.size());
  m_access.add_text(L, -1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "rlm.context"); // keeps the bytes alive whatever _G holds
  lua_setglobal(L, "context");
  const auto characters = push_document_table(L);
  lua_setglobal(L, "documents");
  push_counts(L, characters);
  snapshot_reserved_globals(L);
}

std::uint64_t Sandbox::push_document_table(lua_State* L) {
  const auto documents = m_loading;
  std::uint64_t characters = 0;
  lua_createtable(L, static_cast<int>(documents.size()), 0);
  std::size_t start = 0;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const auto& doc = documents[i];
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, doc.name.data(), doc.name.size());
    lua_setfield(L, -2, "name");
    if (documents.size() == 1) {
      lua_getglobal(L, "context");
    } else {
      lua_pushlstring(L, doc.text.data(), doc.text.size());
      m_access.add_text(L, -1);
    }
    lua_setfield(L, -2, "text");
    lua_pushinteger(L, static_cast<lua_Integer>(start + 1));
    lua_setfield(L, -2, "start");
    lua_pushinteger(L, static_cast<lua_Integer>(start + doc.text.size()));
    lua_setfield(L, -2, "stop");
    const auto chars = utf8_characters(doc.text);
    characters += static_cast<std::uint64_t>(chars);
    lua_pushinteger(L, static_cast<lua_Integer>(chars));
    lua_setfield(L, -2, "chars");
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    start += doc.text.size() + 2;
  }
  return characters;
}

void Sandbox::push_counts(lua_State* L, std::uint64_t characters) {
  // Counted, not indexed: the index (8 bytes a line, 15 MB for a 100 MB log) is built when
  // code first asks for a line.
  const auto lines =
      count_newlines(m_context) + 1 - (m_context.empty() || m_context.back() == '\n' ? 1 : 0);
  lua_pushinteger(L, static_cast<lua_Integer>(characters));
  lua_setglobal(L, "context_chars");
  lua_pushinteger(L, static_cast<lua_Integer>(lines));
  lua_setglobal(L, "context_lines");
  lua_pushinteger(L, static_cast<lua_Integer>((characters + 3) / 4));
  lua_setglobal(L, "context_tokens");
}

const std::vector<std::uint64_t>& Sandbox::line_starts(lua_State* L) {
  if (!m_line_starts.empty()) return m_line_starts;
  const char* begin = m_context.data();
  const char* end = begin + m_context.size();
  const auto next_newline = [end](const char* p) {
    return static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  };
  const std::uint64_t newlines = count_newlines(m_context);
  if (!m_guard.charge((newlines + 1) * sizeof(std::uint64_t))) { // held for the session's life
    raise_error(L, "not enough memory for the line index");
  }
  m_line_starts.reserve(newlines + 1);
  m_line_starts.push_back(0);
  for (const char* p = begin; (p = next_newline(p)) != nullptr;) {
    ++p;
    m_line_starts.push_back(static_cast<std::uint64_t>(p - begin));
  }
  return m_line_starts;
}

std::optional<std::string> Sandbox::load_tool(const ToolFile& tool) {
  const auto chunk_name = "@" + tool.name; // Lua's messages then read "dates.lua:3: ..."
  m_loading_tool = true;
  const auto result = run_chunk(tool.source, chunk_name.c_str());
  m_loading_tool = false;
  if (result.error) {
    const auto& message = result.error->message;
    if (result.error->kind == CellError::Kind::timeout) {
      return fmt::format("tool file {} did not finish loading within the cell time limit of {} s",
                         tool.name, limits().cell_timeout_seconds);
    }
    if (message.starts_with(tool.name + ":")) return "tool file " + message;
    return fmt::format("tool file {}: {}", tool.name, message);
  }
  if (result.final_answer) {
    return fmt::format("tool file {} calls FINAL while it loads (a tool file defines functions)",
                       tool.name);
  }
  lua_pushcfunction(m_state, &restore_reserved_globals);
  const int status = lua_pcall(m_state, 0, 0, 0);
  lua_settop(m_state, 0);
  if (status != LUA_OK) return fmt::format("tool file {}: the REPL ran out of memory", tool.name);
  if (!m_restored_names.empty()) {
    return fmt::format("tool file {} replaces {}, which rlm defines (use other names)", tool.name,
                       m_restored_names);
  }
  return std::nullopt;
}

void Sandbox::query_host() {
  if (m_loading_tool) { // the parent is not answering queries until the REPL is ready
    m_query_results.assign(m_prompts.size(),
                           std::unexpected(std::string("a tool file cannot call llm_query while "
                                                       "it loads (call it inside a function)")));
    return;
  }
  const auto started = Clock::now();
  m_query_results = m_host.query(m_prompts);
  m_query_results.resize(m_prompts.size(), std::unexpected(std::string("no answer")));
  m_sub_calls += m_prompts.size();
  // Waiting for models is not the cell's own time.
  const auto waited = m_host.last_wait_seconds();
  m_guard.extend_deadline(
      waited ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*waited))
             : Clock::now() - started);
}

void Sandbox::append_output(std::string_view text) {
  const auto limit = static_cast<std::size_t>(limits().max_output_bytes);
  const auto room = limit > m_output.size() ? limit - m_output.size() : 0;
  m_output.append(text.substr(0, room));
  m_output_dropped += text.size() > room ? text.size() - room : 0;
}

void Sandbox::note_capped_grep(std::int64_t shown, std::int64_t total) {
  if (++m_capped_greps > 3) return;
  append_output(fmt::format("[grep: {} of {} matching lines returned (its max cut the rest); "
                            "the result's .total is {}]\n",
                            shown, total, total));
}

void Sandbox::note_if_lua_pattern(std::string_view pattern) {
  // Lua's classes and what RE2 writes for them.
  static constexpr std::pair<char, std::string_view> k_classes[] = {
      {'d', "\\d"},   {'s', "\\s"},   {'w', "\\w"},         {'a', "[A-Za-z]"},
      {'l', "[a-z]"}, {'u', "[A-Z]"}, {'p', "[[:punct:]]"}, {'x', "[[:xdigit:]]"},
      {'D', "\\D"},   {'S', "\\S"},   {'W', "\\W"}};
  for (auto at = pattern.find('%'); at != std::string_view::npos && at + 1 < pattern.size();
       at = pattern.find('%', at + 2)) {
    for (const auto& [lua_class, re2_form] : k_classes) {
      if (pattern[at + 1] != lua_class) continue;
      append_output(fmt::format("[note: nothing matched; %{} is a Lua pattern class, but grep "
                                "and re.* take RE2 regexes, which write {}]\n",
                                lua_class, re2_form));
      return;
    }
  }
}

void Sandbox::finish_error(int status, CellResult& result) {
  lua_State* L = m_state;
  CellError error;
  if (m_guard.stop() == RunGuard::Stop::timeout) {
    error = {CellError::Kind::timeout,
             fmt::format(
                 "time limit: the cell ran longer than {} s and was stopped (variables are kept)",
                 limits().cell_timeout_seconds)};
  } else if (m_guard.stop() == RunGuard::Stop::memory) {
    error = {
        CellError::Kind::memory,
        fmt::format("memory limit: the REPL reached its {} MB; free large variables (x = nil) or "
                    "work on smaller pieces",
                    limits().memory_limit_bytes >> 20)};
  } else {
    const int type = lua_type(L, -1);
    std::size_t size = 0;
    const char* text =
        (type == LUA_TSTRING || type == LUA_TNUMBER) ? lua_tolstring(L, -1, &size) : nullptr;
    std::string message = text != nullptr
                              ? std::string(text, size)
                              : fmt::format("(an error value of type {})", lua_typename(L, type));
    error = {status == LUA_ERRSYNTAX ? CellError::Kind::syntax : CellError::Kind::runtime,
             std::move(message)};
  }
  const auto limit = static_cast<std::size_t>(limits().max_error_bytes);
  if (error.message.size() > limit) {
    error.message = fmt::format("{}... [error cut: {} more bytes]", error.message.substr(0, limit),
                                error.message.size() - limit);
  }
  result.error = std::move(error);
}

void Sandbox::begin_cell() {
  m_output.clear();
  m_output_dropped = 0;
  m_final.reset();
  m_sub_calls = 0;
  m_capped_greps = 0;
  m_access.begin_cell();
  m_guard.begin_cell();
}

// Puts back rlm's globals, then runs `code`; the error, if any, goes into `result`.
void Sandbox::run_code(std::string_view code, const char* chunk_name, CellResult& result) {
  lua_State* L = m_state;
  m_guard.arm_alarm();
  lua_pushcfunction(L, &restore_reserved_globals);
  if (lua_pcall(L, 0, 0, 0) == LUA_OK && !m_restored_names.empty()) {
    m_output =
        fmt::format("[note: rlm restored {}, which an earlier cell had replaced; they are rlm's "
                    "tools, so use other names for your variables]\n",
                    m_restored_names);
  }
  lua_settop(L, 0);
  int status = luaL_loadbufferx(L, code.data(), code.size(), chunk_name, "t");
  if (status == LUA_OK) status = lua_pcall(L, 0, 0, 0);
  if (status != LUA_OK) {
    m_guard.note_failure(L, status);
    finish_error(status, result);
  }
}

CellResult Sandbox::collect(CellResult result, double seconds) {
  const bool memory_stop = m_guard.stop() == RunGuard::Stop::memory;
  m_guard.end_cell();
  lua_settop(m_state, 0);
  if (memory_stop) lua_gc(m_state, LUA_GCCOLLECT);
  result.output = std::move(m_output);
  result.output_dropped = m_output_dropped;
  result.final_answer = std::move(m_final);
  result.sub_calls = m_sub_calls;
  result.memory_bytes = m_guard.used();
  result.peak_memory_bytes = m_guard.peak();
  result.read_document = m_access.read_document();
  result.seconds = seconds;
  m_output = {};
  m_final.reset();
  return result;
}

CellResult Sandbox::run(std::string_view code) { return run_chunk(code, "=cell"); }

CellResult Sandbox::run_chunk(std::string_view code, const char* chunk_name) {
  const auto started = Clock::now();
  begin_cell();
  CellResult result;
  if (code.size() > static_cast<std::size_t>(limits().max_source_bytes)) {
    result.error = CellError{
        CellError::Kind::too_large,
        fmt::format("the cell has {} bytes, over the limit of {}; split it into smaller cells",
                    code.size(), limits().max_source_bytes)};
  } else {
    run_code(code, chunk_name, result);
  }
  return collect(std::move(result), std::chrono::duration<double>(Clock::now() - started).count());
}

} // namespace rlm::lua
