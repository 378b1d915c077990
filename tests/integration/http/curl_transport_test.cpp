// The libcurl transport against the fake provider on 127.0.0.1: bodies, streaming,
// connection reuse, and each way a request can fail.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace rlm::http {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Request get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

Request post_chat(const std::string& base, bool stream) {
  Request r;
  r.method = http::Method::post;
  r.url = base + "/api/chat";
  r.headers = {"Content-Type: application/json"};
  r.body = json{{"model", "m"},
                {"stream", stream},
                {"messages", {{{"role", "user"}, {"content", "hi"}}}}}
               .dump();
  return r;
}

TEST(CurlTransport, GetsABodyStatusAndHeaders) {
  testing::FakeProvider server;
  CurlTransport transport;
  const auto response = transport.perform(get(server.base_url() + "/api/version"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["version"], "0.6.8");
  EXPECT_EQ(response->headers.at("content-type"), "application/json; charset=utf-8");
}

TEST(CurlTransport, AReplyLargerThanTheLimitIsAbandoned) {
  testing::FakeProvider server(json{{"default", {{"text", std::string(200'000, 'x')}}}});
  CurlTransport transport;
  for (const bool stream : {false, true}) {
    auto request = post_chat(server.base_url(), stream);
    request.max_body_bytes = 64 * 1024;
    if (stream) request.on_data = [](std::string_view) { return true; };
    const auto response = transport.perform(request);
    ASSERT_FALSE(response) << "stream " << stream;
    EXPECT_THAT(response.error().message, HasSubstr("was abandoned"));
  }
}

TEST(CurlTransport, PostsAndStreamsPiecesAsTheyArrive) {
  testing::FakeProvider server;
  CurlTransport transport;
  std::string streamed;
  auto request = post_chat(server.base_url(), true);
  request.on_data = [&](std::string_view piece) {
    streamed.append(piece);
    return true;
  };
  const auto response = transport.perform(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_TRUE(response->body.empty());
  EXPECT_THAT(streamed, HasSubstr("\"done\": true"));
  EXPECT_EQ(server.requests().back()["body"]["messages"][0]["content"], "hi");
}

TEST(CurlTransport, ReusesTheConnectionForTheNextRequest) {
  testing::FakeProvider server;
  CurlTransport transport;
  const auto first = transport.perform(get(server.base_url() + "/api/version"));
  const auto second = transport.perform(get(server.base_url() + "/api/tags"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->new_connections, 1);
  EXPECT_EQ(second->new_connections, 0);
}

TEST(CurlTransport, AReaderThatStopsOrThrowsClosesTheConnectionInsteadOfReusingIt) {
  testing::FakeProvider server(
      json{{"default", {{"text", std::string(2000, 'x')}, {"chunks", 20}}}});
  CurlTransport transport;
  for (const bool throws : {false, true}) {
    auto request = post_chat(server.base_url(), true);
    request.on_data = [&](std::string_view) -> bool {
      if (throws) throw std::runtime_error("a reader that throws");
      return false; // a reader that found an error in the stream
    };
    const auto stopped = transport.perform(request);
    ASSERT_FALSE(stopped);
    if (throws) {
      EXPECT_THAT(stopped.error().message, HasSubstr("a reader that throws"));
    }
    // The half-read connection is never reused: the next request opens a new one and works.
    const auto next = transport.perform(get(server.base_url() + "/api/version"));
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->new_connections, 1) << "throws " << throws;
  }
}

TEST(CurlTransport, NothingListeningIsAConnectFailure) {
  CurlTransport transport;
  const auto url = "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/api/version";
  const auto response = transport.perform(get(url));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Failure::Kind::connect);
  EXPECT_THAT(response.error().message, HasSubstr("cannot connect to " + url));
}

TEST(CurlTransport, AStalledStreamHitsTheIdleTimeout) {
  testing::FakeProvider server(json{{"replies", {{{"fault", "stall"}, {"stall_seconds", 20}}}}});
  CurlTransport transport;
  auto request = post_chat(server.base_url(), true);
  request.timeouts.idle = std::chrono::milliseconds(500);
  request.on_data = [](std::string_view) { return true; };
  const auto started = std::chrono::steady_clock::now();
  const auto response = transport.perform(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Failure::Kind::timeout);
  EXPECT_TRUE(response.error().received_data);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(CurlTransport, DataThatIsNotProgressDoesNotResetTheIdleTimer) {
  // The server sends keep-alive comments first: with them not counted as progress, a
  // short idle timeout fires although bytes keep arriving.
  testing::FakeProvider server(json{{"replies", {{{"fault", "keepalive"}, {"latency_ms", 0}}}}});
  CurlTransport transport;
  Request request;
  request.method = http::Method::post;
  request.url = server.base_url() + "/v1/chat/completions";
  request.body = json{{"model", "m"}, {"stream", true}, {"messages", json::array()}}.dump();
  std::string seen;
  request.on_data = [&](std::string_view piece) {
    seen.append(piece);
    return true;
  };
  request.is_progress = [](std::string_view piece) {
    return piece.find("data:") != std::string_view::npos;
  };
  const auto response = transport.perform(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_THAT(seen, HasSubstr(": keep-alive"));
  EXPECT_THAT(seen, HasSubstr("[DONE]"));
}

TEST(CurlTransport, ADroppedConnectionIsReported) {
  testing::FakeProvider server(json{{"replies", {{{"fault", "drop"}}}}});
  CurlTransport transport;
  auto request = post_chat(server.base_url(), true);
  request.on_data = [](std::string_view) { return true; };
  const auto response = transport.perform(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Failure::Kind::dropped);
  EXPECT_TRUE(response.error().received_data);
}

TEST(CurlTransport, TheCancelFlagStopsARequest) {
  testing::FakeProvider server(json{{"replies", {{{"latency_ms", 10000}}}}});
  CurlTransport transport;
  std::atomic<bool> cancel{false};
  auto request = post_chat(server.base_url(), false);
  request.cancel = &cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  const auto started = std::chrono::steady_clock::now();
  const auto response = transport.perform(request);
  stopper.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Failure::Kind::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(CurlTransport, ManyConcurrentRequests) {
  testing::FakeProvider server(json{{"default", {{"text", "x"}, {"latency_ms", 200}}}});
  CurlTransport transport;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (const auto r = transport.perform(post_chat(server.base_url(), false));
          r && r->status == 200)
        ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_LT(std::chrono::steady_clock::now() - started,
            std::chrono::milliseconds(1500)); // not 8 x 200 ms
}

} // namespace
} // namespace rlm::http
