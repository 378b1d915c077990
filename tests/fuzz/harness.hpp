// The fuzz targets: each feeds bytes to one reader of untrusted input the way rlm meets it,
// and says in a few words what came of it. None may crash, hang, leak, throw anything but
// rlm's own Fatal (a user error, which a command turns into an exit code) or reach
// undefined behaviour. libFuzzer drives them (fuzz_main.cpp, the fuzz preset); the normal
// suite replays every past finding and seed through them (tests/unit/fuzz/).
//
// Inputs whose first byte(s) select a mode:
//   ollama_reply, openai_reply: byte 0 odd = a streamed reply, even = a whole body (a
//     multiple of 3 also makes every GET (/api/show, /props, /models) answer with the
//     bytes); byte 1 = the size of the pieces the stream arrives in (0: all at once).
//   worker_frame: byte 0 odd = a frame the parent reads (result, query), even = one the
//     worker reads (init, answers).
//   documents: byte 0 = the size of the pieces the text arrives in (0: all at once).
#pragma once

#include <string>
#include <string_view>

namespace rlm::fuzz {

std::string cassette(std::string_view data);
std::string config(std::string_view data);
std::string documents(std::string_view data);
std::string ollama_reply(std::string_view data);
std::string openai_reply(std::string_view data);
std::string results_file(std::string_view data);
std::string trajectory_file(std::string_view data);
std::string worker_frame(std::string_view data);

// The target of that name ("config", "ollama_reply", ...), or null.
using Target = std::string (*)(std::string_view);
Target target_named(std::string_view name);

} // namespace rlm::fuzz
