// Cassettes: what --record writes is what --replay serves, in any order, with no network and
// no key; a request the cassette does not hold fails with a line naming it and where it
// first differs; an unfinished recording never replaces a good cassette.
#include "rlm/http/cassette.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <thread>

namespace rlm::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::slurp;
using testing::TempDir;

constexpr const char* k_canary = "sk-canary-4f1e9b7d2c";
constexpr const char* k_url = "http://127.0.0.1:9/v1/chat/completions";

// A server that answers each body from its script: a whole reply, a stream in pieces, or a
// failure after some pieces. It counts what it was asked.
class ScriptedServer final : public Transport {
public:
  struct Answer {
    long status = 200;
    std::vector<std::string> pieces;
    std::optional<Failure> failure;
  };
  std::map<std::string, Answer> script;
  std::atomic<int> calls{0};

  std::expected<Response, Failure> perform(const Request& request) override {
    ++calls;
    const auto& answer = script.at(request.body);
    Response response;
    response.status = answer.status;
    response.headers["content-type"] = "text/event-stream";
    response.headers["x-echo"] = "key " + std::string(k_canary);
    for (const auto& piece : answer.pieces) {
      if (request.on_data && answer.status / 100 == 2) {
        if (!request.on_data(piece))
          return std::unexpected(Failure{Failure::Kind::cancelled, "", true});
      } else {
        response.body += piece;
      }
      response.bytes += piece.size();
    }
    if (answer.failure) return std::unexpected(*answer.failure);
    return response;
  }
};

Request post(std::string body) {
  Request request;
  request.method = Method::post;
  request.url = k_url;
  request.headers = {"Content-Type: application/json",
                     "Authorization: Bearer " + std::string(k_canary)};
  request.body = std::move(body);
  return request;
}

// What a streamed request received: the pieces, joined.
struct Received {
  std::expected<Response, Failure> reply;
  std::string streamed;
};

Received send(Transport& transport, Request request, bool stream) {
  Received received{std::unexpected(Failure{}), {}};
  if (stream) {
    request.on_data = [&](std::string_view data) {
      received.streamed += data;
      return true;
    };
  }
  received.reply = transport.perform(request);
  return received;
}

// A whole reply, a stream, and a stream that breaks.
void script_three(ScriptedServer& server) {
  server.script["whole"] = {200, {R"({"answer":"7421"})"}, std::nullopt};
  server.script["stream"] = {200, {"data: a\n\n", "data: b\n\n", "data: [DONE]\n\n"}, std::nullopt};
  server.script["broken"] = {
      200, {"data: partial\n\n"}, Failure{Failure::Kind::dropped, "the connection broke", true}};
}

std::unique_ptr<ReplayTransport> replay_of(const std::string& path) {
  auto replay = ReplayTransport::open(path);
  EXPECT_TRUE(replay) << replay.error().message;
  return replay ? std::move(*replay) : nullptr;
}

// Records whole, stream and broken (in that order) to dir/c.jsonl.
std::string record_three(const TempDir& dir, ScriptedServer& server) {
  const auto path = dir.file("c.jsonl");
  auto recorder = RecordingTransport::open(path, server);
  EXPECT_TRUE(recorder);
  send(**recorder, post("whole"), false);
  send(**recorder, post("stream"), true);
  send(**recorder, post("broken"), true);
  EXPECT_TRUE((*recorder)->finish());
  return path;
}

// The three exchanges, recorded and opened for replay.
struct RecordedThree {
  RecordedThree() {
    script_three(server);
    replay = replay_of(record_three(dir, server));
  }
  TempDir dir;
  ScriptedServer server;
  std::unique_ptr<ReplayTransport> replay;
};

TEST(Cassette, ReplayServesWhatWasRecordedInAnyOrderWithNoServer) {
  RecordedThree recorded;
  auto& replay = recorded.replay;
  auto& server = recorded.server;
  ASSERT_TRUE(replay);

  const auto broken = send(*replay, post("broken"), true);
  ASSERT_FALSE(broken.reply);
  EXPECT_EQ(broken.reply.error().kind, Failure::Kind::dropped);
  EXPECT_EQ(broken.reply.error().message, "the connection broke");
  EXPECT_TRUE(broken.reply.error().received_data);
  EXPECT_EQ(broken.streamed, "data: partial\n\n");

  const auto stream = send(*replay, post("stream"), true);
  ASSERT_TRUE(stream.reply);
  EXPECT_EQ(stream.streamed, "data: a\n\ndata: b\n\ndata: [DONE]\n\n");
  EXPECT_EQ(stream.reply->status, 200);
  EXPECT_EQ(stream.reply->headers.at("content-type"), "text/event-stream");

  const auto whole = send(*replay, post("whole"), false);
  ASSERT_TRUE(whole.reply);
  EXPECT_EQ(whole.reply->body, R"({"answer":"7421"})");
  EXPECT_EQ(server.calls, 3); // only while recording
  EXPECT_EQ(replay->unused(), 0);
}

TEST(Cassette, AReplayMatchesThePathNotTheServersAddress) {
  RecordedThree recorded;
  auto& replay = recorded.replay;
  ASSERT_TRUE(replay);
  auto elsewhere = post("whole");
  elsewhere.url = "https://gpu-7.example:8443/v1/chat/completions";
  EXPECT_TRUE(send(*replay, elsewhere, false).reply);
  auto other_path = post("stream");
  other_path.url = "http://127.0.0.1:9/api/chat";
  const auto miss = send(*replay, other_path, true);
  ASSERT_FALSE(miss.reply);
  EXPECT_EQ(miss.reply.error().kind, Failure::Kind::not_recorded);
}

TEST(Cassette, TheKeyIsInNoLineOfTheCassette) {
  const TempDir dir;
  ScriptedServer server;
  script_three(server);
  server.script["echo " + std::string(k_canary)] = {401, {std::string("bad key ") + k_canary}, {}};
  const auto path = dir.file("c.jsonl");
  auto recorder = RecordingTransport::open(path, server);
  ASSERT_TRUE(recorder);
  auto request = post("echo " + std::string(k_canary));
  request.url += "?key=" + std::string(k_canary);
  send(**recorder, request, true);
  send(**recorder, post("stream"), true);
  ASSERT_TRUE((*recorder)->finish());
  const auto text = slurp(path);
  EXPECT_THAT(text, Not(HasSubstr(k_canary)));
  EXPECT_THAT(text, HasSubstr("bad key [redacted]"));
  EXPECT_THAT(text, Not(HasSubstr("Authorization")));
}

TEST(Cassette, IdenticalRequestsTakeTheirRecordedRepliesInOrder) {
  const TempDir dir;
  ScriptedServer server;
  server.script["same"] = {503, {"busy"}, std::nullopt};
  const auto path = dir.file("c.jsonl");
  auto recorder = RecordingTransport::open(path, server);
  ASSERT_TRUE(recorder);
  send(**recorder, post("same"), false);
  server.script["same"] = {200, {"ok"}, std::nullopt}; // the retry succeeded
  send(**recorder, post("same"), false);
  ASSERT_TRUE((*recorder)->finish());

  auto replay = replay_of(path);
  ASSERT_TRUE(replay);
  EXPECT_EQ(send(*replay, post("same"), false).reply->status, 503);
  const auto second = send(*replay, post("same"), false);
  EXPECT_EQ(second.reply->status, 200);
  EXPECT_EQ(second.reply->body, "ok");
  const auto third = send(*replay, post("same"), false);
  ASSERT_FALSE(third.reply);
  EXPECT_EQ(third.reply.error().kind, Failure::Kind::not_recorded);
  EXPECT_THAT(third.reply.error().message, HasSubstr("recorded fewer times than it was sent"));
}

TEST(Cassette, ARequestNotRecordedNamesItselfAndWhereItFirstDiffers) {
  const TempDir dir;
  ScriptedServer server;
  server.script[R"({"messages":[{"content":"How many errors?"}]})"] = {200, {"3"}, {}};
  const auto path = dir.file("c.jsonl");
  auto recorder = RecordingTransport::open(path, server);
  ASSERT_TRUE(recorder);
  send(**recorder, post(R"({"messages":[{"content":"How many errors?"}]})"), false);
  ASSERT_TRUE((*recorder)->finish());

  auto replay = replay_of(path);
  ASSERT_TRUE(replay);
  const auto miss =
      send(*replay, post(R"({"messages":[{"content":"How many warnings?"}]})"), false);
  ASSERT_FALSE(miss.reply);
  EXPECT_EQ(miss.reply.error().kind, Failure::Kind::not_recorded);
  const auto& line = miss.reply.error().message;
  EXPECT_THAT(line, HasSubstr("replay: request 1 (POST " + std::string(k_url) +
                              ") is not in the cassette " + path));
  EXPECT_THAT(line, HasSubstr("differs at byte 34"));
  EXPECT_THAT(line, HasSubstr("warnings"));
  EXPECT_THAT(line, HasSubstr("errors"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(replay->unused(), 1);
}

TEST(Cassette, AnUnfinishedRecordingLeavesTheOldCassetteAsItWas) {
  const TempDir dir;
  const auto path = dir.write("c.jsonl", "the good cassette\n");
  ScriptedServer server;
  script_three(server);
  {
    auto recorder = RecordingTransport::open(path, server);
    ASSERT_TRUE(recorder);
    send(**recorder, post("whole"), false);
  } // the run died before finish()
  EXPECT_EQ(slurp(path), "the good cassette\n");
  EXPECT_THAT(slurp(path + ".partial"), HasSubstr("7421"));
}

TEST(Cassette, ACassetteThatCannotBeReadIsOneLineNamingIt) {
  const TempDir dir;
  const auto error = [&](const std::string& name, const std::string& bytes) {
    const auto path = bytes.empty() && name == "missing" ? dir.file(name) : dir.write(name, bytes);
    auto replay = ReplayTransport::open(path);
    EXPECT_FALSE(replay);
    return replay ? std::string() : replay.error().message;
  };
  EXPECT_THAT(error("missing", ""), HasSubstr("cannot read the cassette"));
  EXPECT_THAT(error("empty", ""), HasSubstr("is empty: not an rlm cassette"));
  EXPECT_THAT(error("trajectory", R"({"type":"run"})"
                                  "\n"),
              HasSubstr("line 1: not an rlm cassette"));
  EXPECT_THAT(error("future", R"({"type":"cassette","version":9})"
                              "\n"),
              HasSubstr("cassette version 9, but this rlm reads version 1"));
  EXPECT_THAT(error("garbage", R"({"type":"cassette","version":1})"
                               "\n\x01\xff{[\n"),
              HasSubstr("line 2: not a JSON object"));
  EXPECT_THAT(error("mistyped", R"({"type":"cassette","version":1})"
                                "\n"
                                R"({"type":"exchange","method":"POST","url":7,"body":""})"
                                "\n"),
              HasSubstr("line 2: an exchange with a missing or mistyped field"));
}

TEST(Cassette, ParallelRequestsAreAllRecordedAndServed) {
  const TempDir dir;
  ScriptedServer server;
  for (int i = 0; i < 16; ++i)
    server.script["q" + std::to_string(i)] = {200, {"a" + std::to_string(i)}, {}};
  const auto path = dir.file("c.jsonl");
  auto recorder = RecordingTransport::open(path, server);
  ASSERT_TRUE(recorder);
  const auto fan_out = [](Transport& transport) {
    std::vector<std::string> answers(16);
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
      threads.emplace_back([&, i] {
        const auto r = send(transport, post("q" + std::to_string(i)), true);
        answers[static_cast<std::size_t>(i)] = r.reply ? r.streamed : "failed";
      });
    }
    for (auto& t : threads) t.join();
    return answers;
  };
  const auto live = fan_out(**recorder);
  ASSERT_TRUE((*recorder)->finish());
  auto replay = replay_of(path);
  ASSERT_TRUE(replay);
  EXPECT_EQ(fan_out(*replay), live);
  EXPECT_EQ(live[7], "a7");
  EXPECT_EQ(replay->unused(), 0);
}

TEST(Cassette, ACancelledReplayStopsAsTheNetworkWould) {
  RecordedThree recorded;
  auto& replay = recorded.replay;
  ASSERT_TRUE(replay);
  const std::atomic<bool> cancel{true};
  auto request = post("whole");
  request.cancel = &cancel;
  const auto reply = replay->perform(request);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, Failure::Kind::cancelled);
}

} // namespace
} // namespace rlm::http
