#include "protocol.hpp"

#include "rlm/util/untrusted_json.hpp"

#include <array>
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace rlm::lua::protocol {

namespace {

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

bool read_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const auto got = ::read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

} // namespace

Sent send(int fd, const nlohmann::json& message) {
  // Frames' text is valid UTF-8 already (frame_text.hpp carries other bytes as base64), so the
  // replacing handler never changes a byte; it only keeps a broken string from throwing.
  const auto text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > k_max_frame_bytes) return Sent::too_large;
  const auto size = static_cast<std::uint32_t>(text.size());
  const std::array<char, 4> header = {
      static_cast<char>(size & 0xFF), static_cast<char>((size >> 8) & 0xFF),
      static_cast<char>((size >> 16) & 0xFF), static_cast<char>(size >> 24)};
  const bool sent =
      write_all(fd, header.data(), header.size()) && write_all(fd, text.data(), text.size());
  return sent ? Sent::ok : Sent::peer_gone;
}

std::expected<nlohmann::json, Unreceived> receive(int fd) {
  std::array<unsigned char, 4> header{};
  if (!read_all(fd, reinterpret_cast<char*>(header.data()), header.size()))
    return std::unexpected(Unreceived::closed);
  std::uint32_t size = 0;
  for (std::size_t i = 0; i < header.size(); ++i)
    size |= static_cast<std::uint32_t>(header[i]) << (8U * i);
  if (size > k_max_frame_bytes) return std::unexpected(Unreceived::malformed);
  std::string text(size, '\0');
  if (!read_all(fd, text.data(), text.size())) return std::unexpected(Unreceived::closed);
  auto message = parse_untrusted_json(text); // depth-limited: the peer may be hostile
  if (!message || !message->is_object()) return std::unexpected(Unreceived::malformed);
  return std::move(*message);
}

} // namespace rlm::lua::protocol
