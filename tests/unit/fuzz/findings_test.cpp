// Every input that ever broke one of rlm's parsers (tests/fuzz/regressions/, found by fuzzing
// and by reading the code) and every fuzz seed (tests/fuzz/corpus/) replayed through the
// fuzz targets in the normal GCC build: none may crash, and each finding ends as stated here.
#include "harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace rlm::fuzz {
namespace {

using ::testing::StartsWith;

const std::filesystem::path k_fuzz = RLM_SOURCE_DIR "/tests/fuzz";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What each finding must come to: the start of its target's outcome.
const std::map<std::string, std::string>& expected() {
  static const std::map<std::string, std::string> outcomes = {
      // Found by reading the cassette reader (json::value() throws on a mistyped field, and a
      // huge float read as a long is undefined behaviour): a cassette may be a stranger's.
      {"C1-cassette-type-not-a-string.jsonl", "error: fuzz.cassette line 1: not an rlm cassette"},
      {"C2-cassette-status-out-of-range.jsonl",
       "error: fuzz.cassette line 2: an exchange with a missing or mistyped field"},
      {"C3-cassette-version-not-finite.jsonl", "error: fuzz.cassette line 1: not a JSON object"},
      {"F1-config-assert-parse_key.toml", "error: a table header that does not start with a name"},
      {"F2-config-unreachable-whitespace.toml", "error: a non-ASCII character outside quotes"},
      {"F2b-config-e-acute.toml", "error: a non-ASCII character outside quotes"},
      {"F3-config-deep-key-escaped-quote.toml", "error: a key with more than 64 dotted parts"},
      // Found by this round's fuzzing: a quote glued to a number or a date opens no string
      // for toml++, which then reaches the same `unreachable` on the character after it.
      {"F9-config-quote-glued-to-a-number.toml", "error: a non-ASCII character outside quotes"},
      {"F9b-config-quote-glued-to-a-date.toml", "error: a non-ASCII character outside quotes"},
      // And in a string, after a backslash (an escape, or a line-ending backslash's blanks).
      {"F10-config-backslash-before-non-ascii.toml",
       "error: a backslash before a non-ASCII character in a string"},
      {"F10b-config-line-continuation-then-non-ascii.toml",
       "error: a backslash before a non-ASCII character in a string"},
      // And after a value toml++ cannot read (with stand-ins, toml_defuse.hpp, it is an error).
      {"F11-config-string-after-an-invalid-value.toml",
       "error: invalid TOML: Error while parsing decimal integer"},
      {"F12-config-a-character-of-the-second-block.toml", "error: invalid TOML: "},
      // With assertions on, the fuzz preset found parse_key's assertion for any non-key start.
      {"F13-config-header-starting-with-a-tilde.toml",
       "error: a table header that does not start with a name"},
      // Valid TOML: a line-ending backslash, then blank lines and the character. toml++ used
      // to test it (UB); now it never sees it (toml_defuse.hpp), and the file loads.
      {"F14-config-line-continuation-across-lines-then-non-ascii.toml", "ok: 2 providers"},
      // An assertion in toml++'s parse_value (the fuzz preset with assertions on): rlm builds
      // toml++ as a release build does (src/config/toml.hpp), and the error is ordinary.
      {"F15-config-array-closed-by-a-brace.toml", "error: invalid TOML: "},
      // Found by CI's fuzzing: the dots of an array-of-tables header `[[a.a…]]` were not
      // counted as key parts, and 100,000 of them overflowed toml++'s update_region_ends.
      {"F16-config-deep-array-of-tables-header.toml",
       "error: a key with more than 64 dotted parts"},
      // Nested past the depth limit: not a reply rlm can read.
      {"F4a-ollama-deep-error.bin", "error protocol"},
      {"F4b-ollama-deep-done.bin", "error protocol"},
      {"F4c-openai-deep-choices.bin", "error protocol"},
      {"F4d-openai-deep-error.bin", "error protocol"},
      {"F4e-results-deep-tokens-root.jsonl", "error: fuzz.jsonl is not an rlm bench results file"},
      // Token counts past 2^53 are clamped; sums saturate.
      {"F5a-ollama-prompt-eval-count-overflow.bin", "answer 1 bytes, 27021597764222976 prompt"},
      {"F6a-ollama-float-cast.bin", "answer 1 bytes, 27021597764222976 prompt"},
      // No text came: an empty answer is an error, never an answer.
      {"F5b-openai-ledger-prompt-minus-cached.bin", "error protocol"}, // no [DONE]
      {"F5c-openai-ledger-sum-overflow.bin", "error protocol"},
      {"F6b-openai-float-cast.bin", "error empty_reply"},
      {"F6f-openai-nonstream-float-cast-fuzzer-found.bin", "error empty_reply"},
      // Fields of the wrong type are absent: the reply never completes.
      {"F7-ollama-content-int.bin", "error protocol"},
      {"F7-ollama-done-int.bin", "error protocol"},
      {"F7-ollama-message-bool.bin", "error protocol"},
      {"F7-openai-choices-int.bin", "error protocol"},
      {"F7-openai-error-message-int.bin", "error server"},
      {"F7-openai-usage-string.bin", "error protocol"},
      // Worker frames of the wrong shape: refused, naming the first field that is wrong or
      // missing; never a default, never an exception.
      {"F6c-lua-result-float-cast.bin", "refused: malformed \"result\" message: output is missing"},
      {"F6d-lua-result-negative-float.bin",
       "refused: malformed \"result\" message: output is missing"},
      {"F6e-lua-worker-limits-float-cast.bin",
       "refused: a message without a type where \"init\" or \"cell\" or \"answers\" was expected"},
      {"F8-lua-query-prompts-string.bin",
       "refused: malformed \"query\" message: prompts is not an array"},
      {"F8-lua-result-error-string.bin",
       "refused: malformed \"result\" message: output is missing"},
      {"F8-lua-result-final-number.bin",
       "refused: malformed \"result\" message: output is missing"},
      {"F8-lua-worker-answers-number.bin",
       "refused: malformed \"answers\" message: answers[0] is not {\"text\": string} or "
       "{\"error\": string}"},
      {"F8-lua-worker-answers-text-number.bin",
       "refused: malformed \"answers\" message: answers[0] is not {\"text\": string} or "
       "{\"error\": string}"},
      {"F8-lua-worker-limits-string.bin",
       "refused: a message without a type where \"init\" or \"cell\" or \"answers\" was expected"},
  };
  return outcomes;
}

TEST(FuzzFindings, EachEndsAsStatedAndNoneIsLeftOut) {
  int replayed = 0;
  for (const auto& folder : std::filesystem::directory_iterator(k_fuzz / "regressions")) {
    if (!folder.is_directory()) continue;
    const auto target = target_named(folder.path().filename().string());
    ASSERT_NE(target, nullptr) << folder.path() << " names no fuzz target";
    for (const auto& file : std::filesystem::directory_iterator(folder)) {
      const auto name = file.path().filename().string();
      const auto outcome = target(read_file(file.path()));
      const auto it = expected().find(name);
      ASSERT_NE(it, expected().end()) << name << " has no expected outcome here: " << outcome;
      EXPECT_THAT(outcome, StartsWith(it->second)) << name;
      ++replayed;
    }
  }
  EXPECT_EQ(replayed, static_cast<int>(expected().size()));
}

TEST(FuzzSeeds, EverySeedRunsThroughItsTarget) {
  int seeds = 0;
  for (const auto& folder : std::filesystem::directory_iterator(k_fuzz / "corpus")) {
    const auto target = target_named(folder.path().filename().string());
    ASSERT_NE(target, nullptr) << folder.path() << " names no fuzz target";
    for (const auto& file : std::filesystem::directory_iterator(folder)) {
      EXPECT_FALSE(target(read_file(file.path())).empty()) << file.path();
      ++seeds;
    }
  }
  EXPECT_GT(seeds, 50);
}

TEST(FuzzSeeds, RecordedRepliesReadAsTheyShould) {
  // A seed from a real llama.cpp reply reads as an answer; its error line as an error.
  EXPECT_THAT(openai_reply(read_file(
                  k_fuzz / "corpus/openai_reply/llama-server_llama-server-eos_51-eos-stream")),
              StartsWith("answer"));
  EXPECT_THAT(
      openai_reply(read_file(
          k_fuzz /
          "corpus/openai_reply/llama-server_llama-server-noshift_41-noshift-long-prompt-stream")),
      StartsWith("error context_overflow"));
  EXPECT_THAT(ollama_reply(read_file(k_fuzz / "corpus/ollama_reply/stream")),
              StartsWith("answer 3 bytes"));
  // The whole reply, then the broken stream's one piece; the other stream is never asked for.
  EXPECT_EQ(cassette(read_file(k_fuzz / "corpus/cassette/three-exchanges")), "1 unused, 9 bytes");
}

} // namespace
} // namespace rlm::fuzz
