// The worker's message loop, driven frame by frame from the test: the worker runs in a forked
// child of the test process (as rlm-worker would, confinement included), and the
// test plays the parent. A message that does not decode ends the worker with a "failed"
// message naming what was wrong; a parent that closes ends it cleanly.
#include "lua/frames.hpp"
#include "lua/lua_test_support.hpp"
#include "rlm/lua/worker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlm::lua {
namespace {

using nlohmann::json;

class ForkedWorker {
public:
  ForkedWorker() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    m_pid = ::fork();
    if (m_pid == 0) {
      ::dup2(fds[1], protocol::k_socket_fd);
      ::dup2(::open("/dev/null", O_RDONLY), protocol::k_documents_fd);
      run_worker(); // exits by itself
    }
    ::close(fds[1]);
    m_socket = fds[0];
  }
  ~ForkedWorker() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      exit_status();
    }
    if (m_socket >= 0) ::close(m_socket);
  }
  ForkedWorker(const ForkedWorker&) = delete;
  ForkedWorker& operator=(const ForkedWorker&) = delete;

  void send(const json& frame) const {
    ASSERT_EQ(protocol::send(m_socket, frame), protocol::Sent::ok);
  }
  // The next frame, or null when the worker closed its end.
  json next() const {
    auto frame = protocol::receive(m_socket);
    return frame ? std::move(*frame) : json();
  }
  // Sends a good init and expects "ready".
  void start() const {
    send(frames::encode(frames::Init{testing::small_limits(), 0, {}, std::nullopt, {}}));
    ASSERT_TRUE(frames::decode<frames::Ready>(next()));
  }
  int socket() const { return m_socket; }
  void close_socket() {
    ::close(m_socket);
    m_socket = -1;
  }
  // How the worker ended: its exit status, or -1 when a signal ended it.
  int exit_status() {
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

private:
  pid_t m_pid = -1;
  int m_socket = -1;
};

// The worker's last word: a "failed" message, then exit status 1.
std::string failure(ForkedWorker& worker) {
  const auto failed = frames::decode<frames::Failed>(worker.next());
  EXPECT_TRUE(failed) << failed.error().message;
  EXPECT_EQ(worker.exit_status(), 1);
  return failed ? failed->message : std::string();
}

TEST(LuaWorker, RunsCellsUntilTheParentCloses) {
  ForkedWorker worker;
  worker.start();
  worker.send(frames::encode(frames::Cell{"x = 20 print(x + 1)"}));
  const auto result = frames::decode<CellResult>(worker.next());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->output, "21\n");
  EXPECT_FALSE(result->error);
  worker.close_socket();
  EXPECT_EQ(worker.exit_status(), 0);
}

TEST(LuaWorker, AsksTheParentForAnswersAndUsesThem) {
  ForkedWorker worker;
  worker.start();
  worker.send(frames::encode(frames::Cell{"print(llm_query('question'))"}));
  const auto query = frames::decode<frames::Query>(worker.next());
  ASSERT_TRUE(query) << query.error().message;
  EXPECT_EQ(query->prompts, std::vector<std::string>{"question"});
  worker.send(frames::encode(frames::Answers{{std::string("the answer")}, 0.0}));
  const auto result = frames::decode<CellResult>(worker.next());
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->output, "the answer\n");
  EXPECT_EQ(result->sub_calls, 1U);
}

TEST(LuaWorker, AMalformedInitIsRefusedByName) {
  ForkedWorker worker;
  auto init = frames::encode(frames::Init{testing::small_limits(), 0, {}, std::nullopt, {}});
  init.erase("limits");
  worker.send(init);
  EXPECT_EQ(failure(worker), "it received malformed \"init\" message: limits is missing");
}

TEST(LuaWorker, AMessageOfAnotherTypeEndsIt) {
  ForkedWorker worker;
  worker.start();
  worker.send(frames::encode(frames::Answers{{}, 0.0}));
  EXPECT_EQ(failure(worker), "it received a \"answers\" message where \"cell\" was expected");
}

TEST(LuaWorker, AnUnknownFieldEndsIt) {
  ForkedWorker worker;
  worker.start();
  worker.send(json{{"type", "cell"}, {"code", "x"}, {"colour", 1}});
  EXPECT_EQ(failure(worker), "it received malformed \"cell\" message: colour is unknown");
}

TEST(LuaWorker, AFrameThatIsNotJsonEndsIt) {
  ForkedWorker worker;
  worker.start();
  const std::string frame = std::string("\x04\0\0\0", 4) + "nope";
  ASSERT_EQ(::write(worker.socket(), frame.data(), frame.size()), 8);
  EXPECT_EQ(failure(worker), "it received a frame that is not a JSON object");
}

TEST(LuaWorker, AnswersThatDoNotMatchThePromptsEndIt) {
  ForkedWorker worker;
  worker.start();
  worker.send(frames::encode(frames::Cell{"llm_query('one')"}));
  ASSERT_TRUE(frames::decode<frames::Query>(worker.next()));
  worker.send(frames::encode(frames::Answers{{std::string("a"), std::string("b")}, 0.0}));
  EXPECT_EQ(failure(worker), "it received 2 answers to 1 prompts");
}

TEST(LuaWorker, AParentGoneDuringAQueryEndsItCleanly) {
  ForkedWorker worker;
  worker.start();
  worker.send(frames::encode(frames::Cell{"llm_query('one')"}));
  ASSERT_TRUE(frames::decode<frames::Query>(worker.next()));
  worker.close_socket();
  EXPECT_EQ(worker.exit_status(), 0);
}

} // namespace
} // namespace rlm::lua
