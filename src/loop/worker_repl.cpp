// The REPL a run uses by default: lua::Session, the confined worker process.
#include "rlm/loop/run.hpp"
#include "rlm/lua/session.hpp"

namespace rlm::loop {

Result<std::unique_ptr<lua::Repl>> start_worker_repl(const document::DocumentSet& documents,
                                                     const lua::Limits& limits,
                                                     const std::vector<lua::ToolFile>& tools,
                                                     lua::Host& host,
                                                     const std::atomic<bool>* cancel) {
  return lua::Session::start(documents, limits, host,
                             {.grace_seconds = 1.0, .cancel = cancel, .tools = tools});
}

} // namespace rlm::loop
