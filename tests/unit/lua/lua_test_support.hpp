// Helpers for REPL tests: a scripted host standing in for the models, and an in-process
// sandbox with documents loaded.
#pragma once

#include "lua/sandbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace rlm::lua::testing {

// Answers "answer to: <prompt>"; prompts containing FAIL get an error; records every call.
class ScriptedHost final : public Host {
public:
  std::vector<QueryResult> query(const std::vector<std::string>& prompts) override {
    calls.push_back(prompts);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::vector<QueryResult> results;
    for (const auto& p : prompts) {
      if (p.find("FAIL") != std::string::npos) {
        results.emplace_back(std::unexpected(std::string("model unavailable")));
      } else {
        results.emplace_back("answer to: " + p);
      }
    }
    return results;
  }
  std::vector<std::vector<std::string>> calls;
  std::chrono::milliseconds delay{0};
};

inline Limits small_limits() {
  Limits limits;
  limits.cell_timeout_seconds = 0.5;
  limits.memory_limit_bytes = 64LL << 20;
  limits.max_output_bytes = 1024;
  limits.max_source_bytes = 4096;
  limits.max_error_bytes = 200;
  return limits;
}

// An in-process sandbox over `texts` (named doc1.txt, doc2.txt, ...); with `alarm`, guarded as
// the worker's is (an unhooked main thread, SIGALRM at the deadline): one at a time.
struct SandboxFixture {
  explicit SandboxFixture(std::vector<std::string> texts = {"line one\nline two\nline three\n"},
                          Limits limits = small_limits(), bool alarm = false)
      : documents(std::move(texts)), sandbox(limits, host, alarm) {
    std::vector<DocumentText> views;
    for (std::size_t i = 0; i < documents.size(); ++i) {
      names.push_back("doc" + std::to_string(i + 1) + ".txt");
    }
    for (std::size_t i = 0; i < documents.size(); ++i) views.push_back({names[i], documents[i]});
    sandbox.load_documents(views);
  }
  // Output of `code`, failing the test on any error.
  std::string out(const std::string& code) {
    auto result = sandbox.run(code);
    if (result.error) ADD_FAILURE() << code << "\n -> " << result.error->message;
    return result.output;
  }
  std::vector<std::string> documents;
  std::vector<std::string> names;
  ScriptedHost host;
  Sandbox sandbox;
};

} // namespace rlm::lua::testing
