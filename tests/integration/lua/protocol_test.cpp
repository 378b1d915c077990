// The worker protocol's framing over a socket pair: a frame arrives whole, and a closed peer
// or a frame that is too large or not a JSON object is told apart from a message.
#include "lua/protocol.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace rlm::lua::protocol {
namespace {

using nlohmann::json;

struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()), 0); }
  ~SocketPair() {
    for (const int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void close_writer() {
    ::close(fds[0]);
    fds[0] = -1;
  }
  // Writes raw bytes on the writer's end.
  void raw(const std::string& bytes) const {
    ASSERT_EQ(::write(fds[0], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  int writer() const { return fds[0]; }
  int reader() const { return fds[1]; }
  std::array<int, 2> fds{-1, -1};
};

std::string header(std::uint32_t size) {
  return {static_cast<char>(size & 0xFF), static_cast<char>((size >> 8) & 0xFF),
          static_cast<char>((size >> 16) & 0xFF), static_cast<char>(size >> 24)};
}

TEST(Protocol, AMessageArrivesWhole) {
  SocketPair pair;
  const json message = {{"type", "cell"}, {"code", std::string(100000, 'x')}};
  std::thread writer([&] { EXPECT_EQ(send(pair.writer(), message), Sent::ok); });
  const auto got = receive(pair.reader());
  writer.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, message);
}

TEST(Protocol, TheLengthIsFourBytesLittleEndian) {
  SocketPair pair;
  ASSERT_EQ(send(pair.writer(), json{{"a", 1}}), Sent::ok);
  std::array<char, 16> bytes{};
  ASSERT_EQ(::read(pair.reader(), bytes.data(), bytes.size()), 4 + 7);
  EXPECT_EQ(std::string(bytes.data(), 11), header(7) + R"({"a":1})");
}

TEST(Protocol, TextThatIsNotUtf8IsCarriedWithReplacementCharacters) {
  SocketPair pair;
  ASSERT_EQ(send(pair.writer(), json{{"s", "a\xff"}}), Sent::ok);
  const auto got = receive(pair.reader());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["s"], "a\xEF\xBF\xBD");
}

TEST(Protocol, APeerThatClosedIsToldApart) {
  SocketPair before;
  before.close_writer();
  EXPECT_EQ(receive(before.reader()).error(), Unreceived::closed);
  SocketPair midway; // closed in the middle of a frame
  midway.raw(header(10) + "{\"a\"");
  midway.close_writer();
  EXPECT_EQ(receive(midway.reader()).error(), Unreceived::closed);
}

TEST(Protocol, AFrameOverTheLimitIsMalformedAndNotRead) {
  SocketPair pair;
  pair.raw(header(k_max_frame_bytes + 1));
  EXPECT_EQ(receive(pair.reader()).error(), Unreceived::malformed);
}

TEST(Protocol, AFrameThatIsNotAJsonObjectIsMalformed) {
  const auto deep = "{\"a\": " + std::string(100, '[') + std::string(100, ']') + "}";
  for (const std::string& text :
       {std::string("[1, 2]"), std::string("\"text\""), std::string("{\"a\": "), deep}) {
    SocketPair pair;
    pair.raw(header(static_cast<std::uint32_t>(text.size())) + text);
    EXPECT_EQ(receive(pair.reader()).error(), Unreceived::malformed) << text;
  }
}

TEST(Protocol, SendingToAPeerThatIsGoneSaysSo) {
  SocketPair pair;
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  EXPECT_EQ(send(pair.writer(), json{{"a", 1}}), Sent::peer_gone);
}

} // namespace
} // namespace rlm::lua::protocol
