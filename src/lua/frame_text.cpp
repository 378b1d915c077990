#include "frame_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace rlm::lua::frames::text {

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  const auto at = k_alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

} // namespace

std::string to_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k)
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0U);
    for (std::size_t k = 0; k < 4; ++k)
      out += k <= n ? k_alphabet[(group >> (18 - 6 * k)) & 0x3F] : '=';
  }
  return out;
}

std::optional<std::string> from_base64(std::string_view encoded) {
  if (encoded.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(encoded.size() / 4 * 3);
  for (std::size_t i = 0; i < encoded.size(); i += 4) {
    const bool last = i + 4 == encoded.size();
    const std::size_t pad =
        last ? static_cast<std::size_t>(encoded[i + 3] == '=') + (encoded[i + 2] == '=' ? 1U : 0U)
             : 0;
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int value = k < 4 - pad ? sextet(encoded[i + k]) : 0;
      if (value < 0) return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(value);
    }
    for (std::size_t k = 0; k < 3 - pad; ++k)
      out += static_cast<char>((group >> (16 - 8 * k)) & 0xFF);
  }
  return out;
}

nlohmann::json write(std::string_view bytes) {
  if (is_utf8(bytes)) return std::string(bytes);
  return nlohmann::json{{"base64", to_base64(bytes)}};
}

std::optional<std::string> read(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_object() || value.size() != 1) return std::nullopt;
  const auto found = value.find("base64");
  if (found == value.end() || !found->is_string()) return std::nullopt;
  auto bytes = from_base64(found->get_ref<const std::string&>());
  // A valid string sent as base64 is not what write() sends: one spelling per value.
  if (!bytes || is_utf8(*bytes)) return std::nullopt;
  return bytes;
}

} // namespace rlm::lua::frames::text
