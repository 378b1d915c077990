#include "lua_command.hpp"

#include "interrupt.hpp"

#include "effective_config.hpp"
#include "fatal.hpp"
#include "run_overrides.hpp"

#include "rlm/document/document_set.hpp"
#include "rlm/lua/session.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace rlm::cli {

namespace {

struct LuaOptions {
  std::vector<std::string> contexts;
  std::vector<std::string> cells; // -e CODE, in order
  std::string script;
  std::optional<double> timeout_seconds;
  std::optional<std::int64_t> memory_mb;
  std::optional<std::int64_t> max_output_bytes;
  std::vector<std::string> tools;
};

lua::Limits limits_for(const config::SandboxSettings& s, const LuaOptions& o) {
  auto limits = sandbox_limits(s);
  limits.cell_timeout_seconds = o.timeout_seconds.value_or(s.cell_timeout_seconds);
  limits.memory_limit_bytes = o.memory_mb.value_or(s.memory_limit_mb) << 20;
  limits.max_output_bytes = o.max_output_bytes.value_or(s.max_output_bytes);
  return limits;
}

std::string read_script(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Fatal(ExitCode::input, fmt::format("cannot read the script {}", printable(path, 200)),
                "check the path");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ExitCode exit_code_for(const lua::CellError& error) {
  switch (error.kind) {
  case lua::CellError::Kind::timeout:
  case lua::CellError::Kind::memory:
  case lua::CellError::Kind::too_large: return ExitCode::limit;
  case lua::CellError::Kind::syntax:
  case lua::CellError::Kind::runtime:
  case lua::CellError::Kind::crashed: break;
  case lua::CellError::Kind::interrupted: return ExitCode::interrupted;
  case lua::CellError::Kind::aborted: return ExitCode::provider; // a model call cannot succeed
  }
  return ExitCode::script;
}

int run_lua(const LuaOptions& options, const Context& context) {
  if (options.cells.empty() && options.script.empty()) {
    throw Fatal(ExitCode::usage, "no code to run",
                "give it with -e 'CODE' or as a SCRIPT.lua file");
  }
  const auto effective = load_effective_config(context);
  document::DocumentSet documents;
  for (const auto& path : options.contexts) or_exit(documents.add_file(path));
  std::vector<std::string> cells = options.cells;
  if (!options.script.empty()) cells.push_back(read_script(options.script));

  lua::NoModelHost host;
  lua::SessionOptions session_options;
  const auto& interrupted = interrupt_on_signals();
  session_options.cancel = &interrupted;
  auto tool_paths = effective.config.sandbox.tools;
  tool_paths.insert(tool_paths.end(), options.tools.begin(), options.tools.end());
  session_options.tools = or_exit(lua::read_tool_files(tool_paths));
  const auto session = cli::or_exit(lua::Session::start(
      documents, limits_for(effective.config.sandbox, options), host, session_options));
  std::optional<std::string> answer;
  ExitCode code = ExitCode::success;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (interrupted.load()) break;
    const auto result = cli::or_exit(session->run(cells[i]));
    write_stdout(result.output);
    const auto where = cells.size() > 1 ? fmt::format("cell {}: ", i + 1) : std::string();
    if (result.output_dropped > 0) {
      spdlog::warn("{}output cut: {} more bytes not shown (raise --max-output)", where,
                   result.output_dropped);
    }
    spdlog::info("{}{:.3f} s, {} KB of Lua memory in use (peak {} KB)", where, result.seconds,
                 result.memory_bytes >> 10, result.peak_memory_bytes >> 10);
    if (result.error && result.error->kind == lua::CellError::Kind::interrupted) {
      write_stderr_line("error", where + interrupted_by() + ": the cell was stopped");
      return interrupted_exit_code();
    }
    if (result.error) {
      write_stderr_line("error", where + printable(result.error->message, 4096));
      if (code == ExitCode::success) code = exit_code_for(*result.error);
    }
    if (result.final_answer) answer = result.final_answer;
  }
  if (interrupted.load()) {
    write_stderr_line("error", interrupted_by() + " between cells");
    return interrupted_exit_code();
  }
  if (answer) write_stdout(*answer + (answer->ends_with('\n') ? "" : "\n"));
  return to_int(code);
}

} // namespace

void setup_lua(CLI::App& app, Context& context, CommandTable& commands) {
  auto options = std::make_shared<LuaOptions>();
  auto* lua = app.add_subcommand(
      "lua", "Run Lua in the sandbox `rlm ask` uses (for debugging a model's code)");
  lua->add_option("--context", options->contexts, "Document(s) to load as `context`; - reads stdin")
      ->type_name("FILE")
      ->allow_extra_args(false);
  lua->add_option("-e", options->cells, "Code to run; each -e is one cell, in order")
      ->type_name("CODE")
      ->allow_extra_args(false);
  lua->add_option("script", options->script, "A file of Lua code, run as the last cell")
      ->type_name("SCRIPT.lua");
  lua->add_option("--timeout", options->timeout_seconds,
                  "Seconds a cell may run ([sandbox] cell_timeout_seconds)")
      ->check(CLI::PositiveNumber);
  lua->add_option("--memory-mb", options->memory_mb, "Memory cap in MB ([sandbox] memory_limit_mb)")
      ->check(CLI::Range(std::int64_t{16}, std::int64_t{1} << 20));
  lua->add_option("--max-output", options->max_output_bytes,
                  "print() bytes kept per cell ([sandbox] max_output_bytes)")
      ->check(CLI::Range(std::int64_t{256}, std::int64_t{4} << 20));
  add_tools_option(*lua, options->tools);
  lua->footer(R"(
Examples:
  rlm lua -e 'print(#context, context_lines)' --context big.log
  rlm lua --context a.txt --context b.txt -e 'for _, d in ipairs(documents) do print(d.name, d.chars) end'
  rlm lua --context big.log -e 'for _, h in ipairs(grep("ERROR", 1, 5)) do print(h.line, h.text) end'
  rlm lua -e 'x = 42' -e 'FINAL(x)'           cells share variables; FINAL's answer prints last
  rlm lua --tools dates.lua -e 'print(iso_date("3 May 2024"))'     try your own tools
The tools are documented in docs/lua-api.md. llm_query has no model here and fails clearly.)");
  commands.push_back({lua, [options, &context] { return run_lua(*options, context); }});
}

} // namespace rlm::cli
