// Messages between rlm and its Lua worker process: a 4-byte little-endian length, then one
// JSON object. Text that is not valid UTF-8 is carried with U+FFFD in place of bad bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

namespace rlm::lua::protocol {

// The argument that turns an rlm (or test) process into a Lua worker: argv[1].
inline constexpr const char* k_worker_flag = "__rlm_lua_worker";
// File descriptors the worker finds its socket and the documents' memory file on.
inline constexpr int k_socket_fd = 3;
inline constexpr int k_documents_fd = 4;

enum class Sent { ok, too_large, peer_gone };

// Sends `message`. Nothing is written when it is too large for a frame (then the caller can
// send something smaller instead).
Sent send(int fd, const nlohmann::json& message);
// Receives one message; nothing on end of file or a broken frame.
std::optional<nlohmann::json> receive(int fd);

} // namespace rlm::lua::protocol
