// The worker protocol's messages: each one written and read back whole, and each decoder
// strict: a missing, mistyped or unknown field, or another type, is refused by name (only a
// broken or compromised peer sends one).
#include "lua/frame_text.hpp"
#include "lua/frames.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace rlm::lua::frames {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A message of each type with every field set (optional ones included) to a value that is
// not its default, and the names of its optional fields.
template <class M> struct Sample;

template <> struct Sample<Init> {
  static Init make() {
    Limits limits{2.5, 123 << 20, 777, 888, 99};
    return {limits,
            30,
            {{"a.txt", 0, 10}, {"b.txt", 10, 20}},
            std::uint64_t{5} << 30,
            {{"tools/dates.lua", "-- dates\nfunction d() end"}}};
  }
  static inline const std::set<std::string> optional = {"address_space_bytes"};
};

template <> struct Sample<Ready> {
  static Ready make() { return {4096}; }
  static inline const std::set<std::string> optional = {};
};

template <> struct Sample<Failed> {
  static Failed make() { return {"cannot map the documents", true}; }
  static inline const std::set<std::string> optional = {"tool_file"};
};

template <> struct Sample<Cell> {
  static Cell make() { return {"print(#context)"}; }
  static inline const std::set<std::string> optional = {};
};

template <> struct Sample<Query> {
  static Query make() { return {{"a", "", "c\xff"}}; }
  static inline const std::set<std::string> optional = {};
};

template <> struct Sample<Answers> {
  static Answers make() { return {{std::string("x"), std::unexpected(std::string("e"))}, 1.5}; }
  static inline const std::set<std::string> optional = {};
};

template <> struct Sample<CellResult> {
  static CellResult make() {
    CellResult r;
    r.output = "out\n";
    r.output_dropped = 5;
    r.error = CellError{CellError::Kind::memory, "what went wrong"};
    r.final_answer = "42";
    r.seconds = 0.25;
    r.memory_bytes = 1024;
    r.peak_memory_bytes = 4096;
    r.sub_calls = 3;
    r.read_document = true;
    return r;
  }
  static inline const std::set<std::string> optional = {"error", "final"};
};

template <class M> class EveryMessage : public ::testing::Test {};
using Messages = ::testing::Types<Init, Ready, Failed, Cell, Query, Answers, CellResult>;
TYPED_TEST_SUITE(EveryMessage, Messages);

template <class M> std::string refusal(const json& frame) {
  const auto decoded = decode<M>(frame);
  EXPECT_FALSE(decoded) << frame.dump();
  return decoded ? std::string() : decoded.error().message;
}

TYPED_TEST(EveryMessage, RoundTrips) {
  const auto message = Sample<TypeParam>::make();
  const auto frame = encode(message);
  EXPECT_EQ(frame["type"], k_message_type<TypeParam>);
  const auto back = decode<TypeParam>(frame);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, message);
}

TYPED_TEST(EveryMessage, ARequiredFieldMissingIsRefusedByName) {
  const auto frame = encode(Sample<TypeParam>::make());
  int required = 0;
  for (const auto& [key, value] : frame.items()) {
    if (key == "type" || Sample<TypeParam>::optional.contains(key)) continue;
    auto without = frame;
    without.erase(key);
    EXPECT_EQ(refusal<TypeParam>(without), fmt::format("malformed \"{}\" message: {} is missing",
                                                       k_message_type<TypeParam>, key));
    ++required;
  }
  EXPECT_GT(required, 0);
}

TYPED_TEST(EveryMessage, AnOptionalFieldMayBeLeftOut) {
  const auto frame = encode(Sample<TypeParam>::make());
  for (const auto& key : Sample<TypeParam>::optional) {
    ASSERT_TRUE(frame.contains(key)) << key;
    auto without = frame;
    without.erase(key);
    const auto back = decode<TypeParam>(without);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(encode(*back), without);
  }
}

TYPED_TEST(EveryMessage, AnUnknownFieldIsRefusedByName) {
  auto frame = encode(Sample<TypeParam>::make());
  frame["colour"] = "blue";
  EXPECT_EQ(refusal<TypeParam>(frame),
            fmt::format("malformed \"{}\" message: colour is unknown", k_message_type<TypeParam>));
}

TYPED_TEST(EveryMessage, AFieldOfTheWrongTypeIsRefusedByName) {
  const auto frame = encode(Sample<TypeParam>::make());
  for (const auto& [key, value] : frame.items()) {
    if (key == "type") continue;
    auto wrong = frame;
    // A boolean field gets a string; every other field a boolean.
    wrong[key] = value.is_boolean() ? json("yes") : json(true);
    EXPECT_THAT(refusal<TypeParam>(wrong), HasSubstr(fmt::format("malformed \"{}\" message: {}",
                                                                 k_message_type<TypeParam>, key)));
  }
}

TYPED_TEST(EveryMessage, AnotherTypeIsRefused) {
  auto frame = encode(Sample<TypeParam>::make());
  frame["type"] = k_message_type<TypeParam> == "cell" ? "query" : "cell";
  EXPECT_THAT(refusal<TypeParam>(frame),
              HasSubstr(fmt::format("where \"{}\" was expected", k_message_type<TypeParam>)));
  frame["type"] = "hello";
  EXPECT_EQ(refusal<TypeParam>(frame), "unknown message type \"hello\"");
  frame.erase("type");
  EXPECT_THAT(refusal<TypeParam>(frame), HasSubstr("a message without a type"));
}

TEST(Frames, EveryKindOfCellErrorRoundTrips) {
  for (const auto kind :
       {CellError::Kind::syntax, CellError::Kind::runtime, CellError::Kind::timeout,
        CellError::Kind::memory, CellError::Kind::too_large, CellError::Kind::crashed,
        CellError::Kind::interrupted, CellError::Kind::aborted}) {
    auto result = Sample<CellResult>::make();
    result.error->kind = kind;
    EXPECT_EQ(decode<CellResult>(encode(result)), result) << to_string(kind);
  }
  auto frame = encode(Sample<CellResult>::make());
  frame["error"]["kind"] = "gremlins";
  EXPECT_EQ(refusal<CellResult>(frame),
            "malformed \"result\" message: error.kind is not a kind of cell error");
}

TEST(Frames, TheParentsPartOfAResultDoesNotTravel) {
  auto result = Sample<CellResult>::make();
  result.state_reset = true; // only the parent knows: it restarted the worker
  EXPECT_FALSE(encode(result).contains("state_reset"));
  EXPECT_FALSE(decode<CellResult>(encode(result))->state_reset);
}

TEST(Frames, LimitsOutOfRangeAreRefused) {
  const auto with_limit = [](const char* key, json value) {
    auto frame = encode(Sample<Init>::make());
    frame["limits"][key] = std::move(value);
    return refusal<Init>(frame);
  };
  EXPECT_EQ(with_limit("cell_timeout_seconds", 0),
            "malformed \"init\" message: limits.cell_timeout_seconds is not above 0");
  EXPECT_EQ(with_limit("cell_timeout_seconds", 2e9),
            "malformed \"init\" message: limits.cell_timeout_seconds is not a number of seconds "
            "(0 to 1e9)");
  EXPECT_EQ(with_limit("memory_limit_bytes", 0),
            "malformed \"init\" message: limits.memory_limit_bytes is not 1 to 2^50");
  EXPECT_EQ(with_limit("max_output_bytes", 1e300),
            "malformed \"init\" message: limits.max_output_bytes is not a whole number");
  EXPECT_EQ(with_limit("max_source_bytes", "1"),
            "malformed \"init\" message: limits.max_source_bytes is not a whole number");
  EXPECT_EQ(with_limit("colour", 1), "malformed \"init\" message: limits.colour is unknown");
}

TEST(Frames, DocumentsMustLieInsideTheMapping) {
  auto frame = encode(Sample<Init>::make());
  frame["documents"][1]["bytes"] = 21; // 10 + 21 > 30
  EXPECT_EQ(refusal<Init>(frame),
            "malformed \"init\" message: documents[1] lies outside the documents' 30 bytes");
  frame["documents"][1]["bytes"] = -1;
  EXPECT_EQ(refusal<Init>(frame), "malformed \"init\" message: documents[1].bytes is not a count");
  frame["documents"][1] = "b.txt";
  EXPECT_EQ(refusal<Init>(frame), "malformed \"init\" message: documents[1] is not an object");
  frame["documents"][1] = {{"name", "b"}, {"offset", 0}};
  EXPECT_EQ(refusal<Init>(frame), "malformed \"init\" message: documents[1].bytes is missing");
}

TEST(Frames, PromptsAndAnswersOfTheWrongShapeAreRefused) {
  EXPECT_EQ(refusal<Query>(json{{"type", "query"}, {"prompts", {"a", 5}}}),
            "malformed \"query\" message: prompts[1] is not a string");
  const auto answers = [](json one) {
    return refusal<Answers>(json{{"type", "answers"},
                                 {"answers", json::array({{{"text", "x"}}, one})},
                                 {"model_seconds", 0}});
  };
  const std::string wrong =
      "malformed \"answers\" message: answers[1] is not {\"text\": string} or {\"error\": string}";
  EXPECT_EQ(answers(5), wrong);
  EXPECT_EQ(answers({{"text", 5}}), wrong);
  EXPECT_EQ(answers({{"text", "x"}, {"error", "e"}}), wrong);
  EXPECT_EQ(refusal<Answers>(
                json{{"type", "answers"}, {"answers", json::array()}, {"model_seconds", -1}}),
            "malformed \"answers\" message: model_seconds is not a number of seconds (0 to 1e9)");
}

TEST(Frames, OneOfSeveralIsDecodedOrRefused) {
  const auto ready = decode_one_of<Ready, Failed>(encode(Ready{7}));
  ASSERT_TRUE(ready);
  EXPECT_EQ(std::get<Ready>(*ready).memory_bytes, 7U);
  const auto failed = decode_one_of<Ready, Failed>(encode(Failed{"no", std::nullopt}));
  ASSERT_TRUE(failed);
  EXPECT_EQ(std::get<Failed>(*failed).message, "no");
  const auto other = decode_one_of<Ready, Failed>(encode(Cell{"x"}));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message, "a \"cell\" message where \"ready\" or \"failed\" was expected");
  const auto broken = decode_one_of<Ready, Failed>(json{{"type", "ready"}});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message, "malformed \"ready\" message: memory_bytes is missing");
}

TEST(Frames, HostileTextInAnErrorIsMadePrintable) {
  const auto message = refusal<Cell>(json{{"type", "\x1b[2J"}});
  EXPECT_THAT(message, ::testing::Not(HasSubstr("\x1b")));
}

TEST(Frames, WhetherTheCellReadTheDocumentRoundTrips) {
  for (const bool read : {true, false}) {
    CellResult r;
    r.read_document = read;
    const auto back = decode<CellResult>(encode(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->read_document, read);
  }
}

TEST(Frames, AQueryOverTheWorkersOwnLimitsIsRefused) {
  EXPECT_EQ(refusal_of(Query{{"a", "b"}}), nullptr);
  EXPECT_NE(refusal_of(Query{{}}), nullptr);
  EXPECT_NE(refusal_of(Query{std::vector<std::string>(1001, "p")}), nullptr);
  EXPECT_NE(refusal_of(Query{{"a", ""}}), nullptr);
  EXPECT_NE(refusal_of(Query{{std::string((4 << 20) + 1, 'x')}}), nullptr);
  EXPECT_NE(refusal_of(Query{
                {std::string(3 << 20, 'x'), std::string(3 << 20, 'y'), std::string(3 << 20, 'z')}}),
            nullptr); // 9 MB in all
}

TEST(Frames, AResultClaimingAnErrorOnlyTheParentKnowsIsRefused) {
  CellResult result;
  EXPECT_EQ(refusal_of(result), nullptr);
  for (const auto kind :
       {CellError::Kind::syntax, CellError::Kind::runtime, CellError::Kind::timeout,
        CellError::Kind::memory, CellError::Kind::too_large}) {
    result.error = CellError{kind, "m"};
    EXPECT_EQ(refusal_of(result), nullptr) << to_string(kind);
  }
  for (const auto kind :
       {CellError::Kind::crashed, CellError::Kind::interrupted, CellError::Kind::aborted}) {
    result.error = CellError{kind, "m"};
    EXPECT_NE(refusal_of(result), nullptr) << to_string(kind);
  }
}

// Through the wire (strict JSON text, as protocol.cpp sends it) and back.
template <class M> Result<M> through_text(const M& message) {
  const auto text = encode(message).dump(-1, ' ', false, json::error_handler_t::strict);
  return decode<M>(json::parse(text));
}

TEST(Frames, BytesThatAreNotUtf8TravelUnchanged) {
  const std::string bytes = "caf\xe9 \xff \xc0\x80 \xed\xa0\x80 ok \xf4\x90\x80\x80 \xe2\x82";
  CellResult result;
  result.output = bytes;
  result.error = CellError{CellError::Kind::runtime, "cell:1: " + bytes};
  result.final_answer = bytes;
  EXPECT_EQ(through_text(result), result);
  EXPECT_EQ(through_text(Cell{"print('" + bytes + "')"}), Cell{"print('" + bytes + "')"});
  EXPECT_EQ(through_text(Query{{bytes, "plain"}}), (Query{{bytes, "plain"}}));
  const Answers answers{{bytes, std::unexpected(bytes)}, 0};
  EXPECT_EQ(through_text(answers), answers);
  // Valid text stays a plain JSON string.
  EXPECT_EQ(encode(Cell{"print('é')"})["code"], "print('é')");
  EXPECT_EQ(encode(Cell{"\xff"})["code"], (json{{"base64", "/w=="}}));
}

TEST(Frames, TextInBase64IsReadStrictly) {
  const auto cell = [](json code) { return refusal<Cell>(json{{"type", "cell"}, {"code", code}}); };
  const std::string wrong = "malformed \"cell\" message: code is not a string";
  EXPECT_EQ(decode<Cell>(json{{"type", "cell"}, {"code", {{"base64", "/w=="}}}}), Cell{"\xff"});
  EXPECT_EQ(cell({{"base64", "not base64"}}), wrong);
  EXPECT_EQ(cell({{"base64", "/w="}}), wrong);
  EXPECT_EQ(cell({{"base64", "aGk="}}), wrong); // "hi" is UTF-8: it travels as a string
  EXPECT_EQ(cell({{"base64", "/w=="}, {"more", 1}}), wrong);
  EXPECT_EQ(cell({{"bytes", "/w=="}}), wrong);
}

TEST(FrameText, Utf8IsCheckedAsTheJsonWriterChecksIt) {
  for (const char* good : {"", "plain", "é", "€", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "a\0b"}) {
    EXPECT_TRUE(text::is_utf8(good)) << good;
    EXPECT_NO_THROW((void)json(std::string(good)).dump()) << good;
  }
  for (const char* bad : {"\xff", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "\xe2\x82", "\x80", "\xf5\x80\x80\x80"}) {
    EXPECT_FALSE(text::is_utf8(bad)) << bad;
    EXPECT_THROW((void)json(std::string(bad)).dump(), json::type_error) << bad;
  }
  EXPECT_EQ(text::valid_utf8("a\xff"
                             "b\xe2\x82"
                             "c€"),
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd\xef\xbf\xbd"
            "c€");
}

TEST(FrameText, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(text::from_base64(text::to_base64(bytes)), bytes) << i;
    bytes += static_cast<char>(255 - i);
  }
  EXPECT_EQ(text::to_base64("\xff\xfe\xfd"), "//79");
}

} // namespace
} // namespace rlm::lua::frames
