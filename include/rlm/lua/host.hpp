// How the REPL reaches a language model: a small interface the orchestrator implements.
// The REPL itself knows nothing of HTTP or providers.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace rlm::lua {

// The model's answer, or one line saying why there is none.
using QueryResult = std::expected<std::string, std::string>;

class Host {
public:
  virtual ~Host() = default;
  // Answers each prompt (concurrently where the host can); one result per prompt, in order.
  // A failed prompt is an error in its slot, never an exception.
  virtual std::vector<QueryResult> query(const std::vector<std::string>& prompts) = 0;
  // Seconds the last query() spent waiting for models, when the host knows better than a
  // clock around the call. The worker's host reports the parent's figure, so the worker's
  // deadline and the parent's move by exactly the same amount.
  virtual std::optional<double> last_wait_seconds() const { return std::nullopt; }
  // After query(): why the running cell must stop now (every further model call would fail
  // the same way), or nothing to let it go on.
  virtual std::optional<std::string> stop_reason() const { return std::nullopt; }
};

// The host of `rlm lua`, which has no model: every query fails with an explanation.
class NoModelHost final : public Host {
public:
  std::vector<QueryResult> query(const std::vector<std::string>& prompts) override {
    return std::vector<QueryResult>(
        prompts.size(),
        std::unexpected(std::string("llm_query needs a model, and `rlm lua` has none; "
                                    "run the code through `rlm ask` to reach one")));
  }
};

} // namespace rlm::lua
