// Provider costs against the fake server on 127.0.0.1: sub-call fan-out through the pool
// (64 requests, 200 ms each, 16 at a time: ideally 0.8 s), and the client's own overhead
// per request on loopback (CPU time of the calling thread, which runs curl, parsing and
// accounting; the server's time is excluded).
#include "fake_provider.hpp"
#include "providers/ollama_reply.hpp"
#include "providers/openai_reply.hpp"
#include "providers/streaming.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/factory.hpp"

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include <atomic>
#include <thread>

namespace {

using nlohmann::json;
using namespace rlm;

config::ProviderConfig provider_at(const std::string& url, config::ProviderType type,
                                   std::int64_t concurrency) {
  config::ProviderConfig p;
  p.type = type;
  p.name = "fake";
  p.base_url = type == config::ProviderType::ollama ? url : url + "/v1";
  p.model = "m";
  p.context_length = 32768;
  p.max_concurrency = concurrency;
  return p;
}

std::optional<std::string> no_env(std::string_view) { return std::nullopt; }

// 64 sub-calls through the pool, 16 worker threads, each reply taking 200 ms.
void BM_FanOut64Requests200msAtConcurrency16(benchmark::State& state) {
  testing::FakeProvider server(
      json{{"models", {{{"name", "m"}}}}, {"default", {{"text", "answer"}, {"latency_ms", 200}}}});
  http::CurlTransport transport;
  config::Config cfg;
  cfg.providers = {provider_at(server.base_url(), config::ProviderType::ollama, 16)};
  auto pool = providers::make_pool(cfg, transport, no_env);
  for (auto _ : state) {
    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 16; ++w) {
      workers.emplace_back([&] {
        while (next.fetch_add(1) < 64) {
          providers::ChatRequest request;
          request.messages = {{"user", "summarise this part"}};
          if (!pool->chat(config::Role::sub, request)) ++failed;
        }
      });
    }
    for (auto& t : workers) t.join();
    if (failed > 0) state.SkipWithError("some requests failed");
  }
  state.counters["ideal_s"] = 0.8;
}
BENCHMARK(BM_FanOut64Requests200msAtConcurrency16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

// One request at a time with no server latency: what a call costs rlm itself.
void BM_RequestOverhead(benchmark::State& state, config::ProviderType type, bool stream) {
  testing::FakeProvider server(
      json{{"models", {{{"name", "m"}}}},
           {"default", {{"text", std::string(400, 'x')}, {"chunks", 20}}}});
  http::CurlTransport transport;
  config::Config cfg;
  cfg.providers = {provider_at(server.base_url(), type, 4)};
  auto pool = providers::make_pool(cfg, transport, no_env);
  providers::ChatRequest request;
  request.messages = {{"system", std::string(2000, 's')}, {"user", std::string(8000, 'u')}};
  request.stream = stream;
  for (auto _ : state) {
    auto answer = pool->chat(config::Role::sub, request);
    if (!answer) state.SkipWithError(answer.error().message.c_str());
    benchmark::DoNotOptimize(answer);
  }
}
BENCHMARK_CAPTURE(BM_RequestOverhead, ollama_whole, config::ProviderType::ollama, false)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RequestOverhead, ollama_stream, config::ProviderType::ollama, true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RequestOverhead, openai_whole, config::ProviderType::openai, false)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RequestOverhead, openai_stream, config::ProviderType::openai, true)
    ->Unit(benchmark::kMicrosecond);

// The stream readers alone, over a 4,096-token reply recorded from llama-server (960 KB of
// SSE), fed in 16 KB pieces as a connection delivers them: what reading a reply costs.
std::string recorded_stream() {
  std::ifstream in(RLM_SOURCE_DIR "/tests/captures/llama-server/llama-server-shift-c512/"
                                  "11-short-max4096-stream.body",
                   std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  return body.str();
}

template <class Reader> void read_in_pieces(benchmark::State& state, const std::string& body) {
  for (auto _ : state) {
    Reader reader;
    providers::LineSplitter lines;
    for (std::size_t at = 0; at < body.size(); at += 16384) {
      lines.feed(std::string_view(body).substr(at, 16384),
                 [&](std::string_view line) { return reader.line(line); });
    }
    reader.end();
    if (!reader.state().complete) state.SkipWithError("the recorded reply did not read whole");
    benchmark::DoNotOptimize(reader.state().answer.text.size());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

void BM_ReadRecordedSseReply(benchmark::State& state) {
  read_in_pieces<providers::OpenAiReplyReader>(state, recorded_stream());
}
BENCHMARK(BM_ReadRecordedSseReply)->Unit(benchmark::kMillisecond);

void BM_ReadNdjsonReply(benchmark::State& state) {
  // The same 4,096 tokens as Ollama streams them: one JSON line a token, then the done line.
  std::string body;
  for (int i = 0; i < 4096; ++i) {
    body += R"({"model":"m","created_at":"2026-11-22T10:00:00.000000Z","message":{"role":)"
            R"("assistant","content":" tok"},"done":false})"
            "\n";
  }
  body += R"({"model":"m","message":{"role":"assistant","content":""},"done":true,)"
          R"("done_reason":"length","prompt_eval_count":31,"eval_count":4096})"
          "\n";
  read_in_pieces<providers::OllamaReplyReader>(state, body);
}
BENCHMARK(BM_ReadNdjsonReply)->Unit(benchmark::kMillisecond);

} // namespace
