// Messages between rlm and its Lua worker process: a 4-byte little-endian length, then one
// JSON object. Text that is not valid UTF-8 is carried with U+FFFD in place of bad bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <expected>

namespace rlm::lua::protocol {

// File descriptors the worker finds its socket and the documents' memory file on.
inline constexpr int k_socket_fd = 3;
inline constexpr int k_documents_fd = 4;

// The largest frame either end sends or accepts. Prompts are capped at 64 MB a batch in the
// sandbox; answers and results are smaller.
inline constexpr std::uint32_t k_max_frame_bytes = 128U << 20;

enum class Sent { ok, too_large, peer_gone };

// Sends `message`. Nothing is written when it is too large for a frame (then the caller can
// send something smaller instead).
Sent send(int fd, const nlohmann::json& message);
// Why receive() has no message: the peer closed the socket (also in the middle of a frame),
// or it sent a frame over the size limit or one that is not a JSON object.
enum class Unreceived { closed, malformed };

// Receives one message (its fields still unchecked: frames.hpp decodes them).
std::expected<nlohmann::json, Unreceived> receive(int fd);

} // namespace rlm::lua::protocol
