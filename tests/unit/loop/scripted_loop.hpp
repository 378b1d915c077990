// The loop in process, for testing its policies: scripted root and sub providers that record
// every request, and an in-process sandbox in place of the worker process (the same Lua
// tools, no child process, no network).
#pragma once

#include "loop/history.hpp"
#include "lua/sandbox.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/pool.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace rlm::loop::testing {

// One scripted reply: text (with how it ended), or a provider error.
struct Scripted {
  std::string text = {};
  std::string finish_reason = "stop";
  std::int64_t max_tokens = 4096;
  std::optional<providers::ProviderError> error = std::nullopt;
  std::function<void()> before = nullptr; // runs when this reply is taken (e.g. Ctrl-C)
  std::string thinking = {};              // reasoning the server sent apart from the text
  providers::Usage usage = {100, 0, 10};
  bool hang = false; // a model that does not answer: waits (up to 10 s) until cancelled
};

class ScriptedProvider final : public providers::Provider {
public:
  ScriptedProvider(std::string name, config::Role role) {
    m_settings.name = std::move(name);
    m_settings.role = role;
    m_settings.max_concurrency = 4;
  }

  std::expected<providers::ChatResponse, providers::ProviderError>
  chat(const providers::ChatRequest& request) override {
    Scripted next;
    {
      const std::lock_guard lock(m_mutex);
      requests.push_back(request.messages);
      if (window_chars && request.messages.back().content.size() > *window_chars) {
        // As a client refuses a prompt its model's window cannot take, before sending it.
        providers::ProviderError error{providers::ProviderError::Kind::context_overflow,
                                       m_settings.name + ": the prompt does not fit the window"};
        error.fits_chars = static_cast<std::int64_t>(*window_chars);
        return std::unexpected(std::move(error));
      }
      if (conversation_limit && conversation_chars(request.messages) > *conversation_limit) {
        // As a server refuses a request over its window (llama-server: "exceeds the available
        // context size"), saying nothing of what would fit.
        return std::unexpected(providers::ProviderError{
            providers::ProviderError::Kind::context_overflow,
            m_settings.name + ": the request exceeds the available context size"});
      }
      if (script.empty() && responder) script.push_back({.text = responder(request.messages)});
      if (script.empty()) {
        return std::unexpected(providers::ProviderError{providers::ProviderError::Kind::bad_request,
                                                        m_settings.name + ": the script ran out"});
      }
      next = std::move(script.front());
      script.pop_front();
    }
    if (next.before) next.before();
    if (next.hang) return hang(request);
    if (next.error) return std::unexpected(*next.error);
    providers::ChatResponse response;
    response.text = next.text;
    response.finish_reason = next.finish_reason;
    response.max_tokens = next.max_tokens;
    response.thinking = next.thinking;
    response.usage = next.usage;
    return response;
  }
  const config::ProviderConfig& settings() const override { return m_settings; }
  std::optional<std::int64_t> prompt_room_chars() override { return room_chars; }
  void set_prices(double input_per_mtok, double output_per_mtok) {
    m_settings.price_input_per_mtok = input_per_mtok;
    m_settings.price_output_per_mtok = output_per_mtok;
  }

  std::deque<Scripted> script;
  // Once the script is spent: a model that replies to what it was sent.
  std::function<std::string(const std::vector<providers::Message>&)> responder;
  std::vector<std::vector<providers::Message>> requests;
  std::optional<std::size_t> window_chars; // a prompt longer than this is refused, as too large
  // A request whose messages cost more (conversation_chars) is refused, as over the window.
  std::optional<std::int64_t> conversation_limit;
  std::optional<std::int64_t> room_chars; // what the provider says a prompt can hold

private:
  static std::unexpected<providers::ProviderError> hang(const providers::ChatRequest& request) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until &&
           (request.cancel == nullptr || !request.cancel->load()))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return std::unexpected(
        providers::ProviderError{providers::ProviderError::Kind::cancelled, "request cancelled"});
  }

  std::mutex m_mutex;
  config::ProviderConfig m_settings;
};

// The sandbox itself, in this process.
class InProcessRepl final : public lua::Repl {
public:
  InProcessRepl(const document::DocumentSet& documents, const lua::Limits& limits, lua::Host& host)
      : m_sandbox(limits, host) {
    for (std::size_t i = 0; i < documents.documents().size(); ++i)
      m_texts.push_back(documents.read(i));
    std::vector<lua::DocumentText> views;
    for (std::size_t i = 0; i < m_texts.size(); ++i)
      views.push_back({documents.documents()[i].name, m_texts[i]});
    m_sandbox.load_documents(views);
  }
  Result<> load_tools(const std::vector<lua::ToolFile>& tools) {
    for (const auto& tool : tools) {
      if (auto problem = m_sandbox.load_tool(tool)) return fail(ErrorKind::usage, *problem);
    }
    return {};
  }
  Result<lua::CellResult> run(std::string_view code) override {
    ++cells_run;
    if (fail_after && cells_run > *fail_after)
      return fail(ErrorKind::internal, "cannot start the Lua REPL: it did not answer");
    return m_sandbox.run(code);
  }

  int cells_run = 0;
  std::optional<int> fail_after; // cells after which the REPL is gone

private:
  std::vector<std::string> m_texts;
  lua::Sandbox m_sandbox;
};

// Remembers what the observer saw.
class Recorder final : public Observer {
public:
  void on_start(const StartInfo& info) override {
    const std::lock_guard lock(m_mutex);
    starts.push_back(info);
  }
  void on_iteration(const IterationRecord& record) override {
    const std::lock_guard lock(m_mutex);
    iterations.push_back(record);
  }
  void on_request(const RequestRecord& record) override {
    const std::lock_guard lock(m_mutex);
    requests.push_back(record);
  }
  void on_cell_start(int depth) override {
    const std::lock_guard lock(m_mutex);
    cells.push_back("start " + std::to_string(depth));
  }
  void on_cell_end(int depth) override {
    const std::lock_guard lock(m_mutex);
    cells.push_back("end " + std::to_string(depth));
  }
  void on_sub_call_start() override { ++sub_calls_started; }
  void on_sub_call(const SubCallRecord&) override { ++sub_calls_ended; }
  std::vector<StartInfo> starts;
  std::vector<IterationRecord> iterations;
  std::vector<RequestRecord> requests;
  std::vector<std::string> cells; // "start 0", "end 0", ... in order
  std::atomic<int> sub_calls_started{0};
  std::atomic<int> sub_calls_ended{0};

private:
  std::mutex m_mutex;
};

// A run over one document with scripted models.
struct ScriptedLoop {
  explicit ScriptedLoop(std::string document = std::string(5'000, 'x') + "\nthe needle 42\n") {
    auto root_provider = std::make_unique<ScriptedProvider>("root", config::Role::root);
    auto sub_provider = std::make_unique<ScriptedProvider>("sub", config::Role::sub);
    root = root_provider.get();
    sub = sub_provider.get();
    std::vector<std::unique_ptr<providers::Provider>> members;
    members.push_back(std::move(root_provider));
    members.push_back(std::move(sub_provider));
    providers::PoolOptions options;
    options.retry.max_retries = 0;
    options.sleep = [](double) { return true; };
    pool = std::make_unique<providers::Pool>(std::move(members), options);
    if (!documents.add_text("doc.txt", document)) throw std::runtime_error("no memory file");
    settings.bypass_threshold = 10;
    prompts = {"SYSTEM max_iterations={{max_iterations}} max_sub_calls={{max_sub_calls}}", "BYPASS",
               "FINAL PLEASE", "NESTED QUESTION", "COMPACT max_iterations={{max_iterations}}"};
  }

  ScriptedLoop& reply(std::string text) {
    root->script.push_back({.text = std::move(text)});
    return *this;
  }
  ScriptedLoop& lua(const std::string& code) { return reply("```lua\n" + code + "\n```"); }

  RunResult run(const std::string& query = "q") {
    const RunContext context{
        *pool,
        prompts,
        settings,
        recorder,
        cancel_flag(),
        [this](const document::DocumentSet& docs, const lua::Limits& limits,
               const std::vector<lua::ToolFile>& tools, lua::Host& host,
               const std::atomic<bool>*) -> Result<std::unique_ptr<lua::Repl>> {
          if (repl_start_error) return std::unexpected(*repl_start_error);
          auto repl = std::make_unique<InProcessRepl>(docs, limits, host);
          if (auto loaded = repl->load_tools(tools); !loaded)
            return std::unexpected(loaded.error());
          repl->fail_after = repl_fails_after;
          return repl;
        }};
    return loop::run(documents, query, context);
  }

  const std::atomic<bool>* cancel_flag() const { return &cancel; }

  // The last message of the root's request `n` (1-based).
  const std::string& last_message_of_request(std::size_t n) const {
    return root->requests.at(n - 1).back().content;
  }

  ScriptedProvider* root = nullptr;
  ScriptedProvider* sub = nullptr;
  std::unique_ptr<providers::Pool> pool;
  document::DocumentSet documents;
  Prompts prompts;
  RunSettings settings;
  Recorder recorder;
  std::atomic<bool> cancel{false};
  std::optional<Error> repl_start_error;
  std::optional<int> repl_fails_after;
};

} // namespace rlm::loop::testing
