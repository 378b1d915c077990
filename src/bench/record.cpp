#include "rlm/bench/record.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>

namespace rlm::bench {

namespace {

using nlohmann::json;

json tokens_json(const TokenCount& t) {
  return {
      {"calls", t.calls}, {"prompt", t.prompt}, {"cached", t.cached}, {"completion", t.completion}};
}

constexpr std::int64_t k_max_count = std::int64_t{1} << 50; // sums can never overflow

std::string text_field(const json& j, std::string_view name, const char* otherwise = "") {
  const auto* text = json_field::string(j, name);
  return text != nullptr ? *text : otherwise;
}

// A whole-number field, or 0 when it is missing or not a whole number in range.
std::int64_t int_field(const json& j, std::string_view name) {
  return json_field::integer(j, name, -k_max_count, k_max_count).value_or(0);
}

// Token counts: whole numbers from 0 to 2^50; -1 (refused below) for anything else.
TokenCount tokens_from(const json* j) {
  TokenCount t;
  if (j == nullptr) return t;
  const auto count = [&](std::string_view name) {
    return json_field::integer(*j, name, 0, k_max_count).value_or(-1);
  };
  t.calls = count("calls");
  t.prompt = count("prompt");
  t.cached = count("cached");
  t.completion = count("completion");
  return t;
}

std::unexpected<Error> not_a_record(std::string why) {
  return fail(ErrorKind::input, "not a task record: " + std::move(why));
}

// The fields that name and score the task: without them a line is not a record.
Result<TaskRecord> identity_from(const json& j) {
  const auto* type = json_field::string(j, "type");
  if (type == nullptr || *type != "task") return not_a_record("no \"type\": \"task\"");
  const auto* key = json_field::string(j, "key");
  const auto* suite = json_field::string(j, "suite");
  if (key == nullptr || key->empty()) return not_a_record("no key");
  if (suite == nullptr || suite->empty()) return not_a_record("no suite");
  const auto* method_name = json_field::string(j, "method");
  if (method_name == nullptr) return not_a_record("no method");
  const auto method = config::parse_bench_method(*method_name);
  if (!method) {
    return not_a_record(fmt::format("unknown method '{}' (the methods are rlm and vanilla)",
                                    printable(*method_name, 40)));
  }
  const auto length = json_field::integer(j, "length_tokens", 1, k_max_count);
  if (!length) return not_a_record("length_tokens is not a whole number from 1");
  const auto score = json_field::number(j, "score");
  if (!score || *score < 0 || *score > 1) return not_a_record("score is not a number from 0 to 1");
  TaskRecord r;
  r.key = *key;
  r.suite = *suite;
  r.method = *method;
  r.length_tokens = *length;
  r.score = *score;
  return r;
}

// `status`, "ok" when missing.
Result<Status> status_from(const json& j) {
  if (!j.contains("status")) return Status::ok;
  const auto* name = json_field::string(j, "status");
  const auto status = name != nullptr ? parse_status(*name) : std::nullopt;
  if (!status) {
    return not_a_record(fmt::format("unknown status '{}' (ok, truncated or error)",
                                    name != nullptr ? printable(*name, 40) : "not text"));
  }
  return *status;
}

void read_details(const json& j, TaskRecord& r) {
  r.position = json_field::number(j, "position");
  r.trial = int_field(j, "trial");
  r.seed = int_field(j, "seed");
  r.model = text_field(j, "model");
  r.label = text_field(j, "label");
  r.document_chars = int_field(j, "document_chars");
  r.query = text_field(j, "query");
  r.expected = text_field(j, "expected");
  r.answer = text_field(j, "answer");
  r.scorer = text_field(j, "scorer");
  r.error = text_field(j, "error");
  r.stop = text_field(j, "stop");
  r.iterations = int_field(j, "iterations");
  r.sub_calls = int_field(j, "sub_calls");
  if (const auto* tokens = json_field::object(j, "tokens")) {
    r.root = tokens_from(json_field::object(*tokens, "root"));
    r.sub = tokens_from(json_field::object(*tokens, "sub"));
  }
  r.cost = json_field::number(j, "cost");
  r.seconds = json_field::number(j, "seconds").value_or(0);
  r.finished_at = text_field(j, "finished_at");
}

bool counts_valid(const TaskRecord& r) {
  for (const auto* t : {&r.root, &r.sub}) {
    for (const auto n : {t->calls, t->prompt, t->cached, t->completion})
      if (n < 0) return false;
  }
  return true;
}

} // namespace

json to_json(const TaskRecord& r) {
  json j = {{"type", "task"},
            {"key", r.key},
            {"suite", r.suite},
            {"method", config::to_string(r.method)},
            {"length_tokens", r.length_tokens},
            {"position", r.position ? json(*r.position) : json(nullptr)},
            {"trial", r.trial},
            {"seed", r.seed},
            {"model", r.model},
            {"label", r.label},
            {"document_chars", r.document_chars},
            {"query", r.query},
            {"expected", r.expected},
            {"answer", r.answer},
            {"scorer", r.scorer},
            {"score", r.score},
            {"status", to_string(r.status)},
            {"error", r.error},
            {"stop", r.stop},
            {"iterations", r.iterations},
            {"sub_calls", r.sub_calls},
            {"tokens", {{"root", tokens_json(r.root)}, {"sub", tokens_json(r.sub)}}},
            {"cost", r.cost ? json(*r.cost) : json(nullptr)},
            {"seconds", r.seconds},
            {"finished_at", r.finished_at}};
  return j;
}

const char* to_string(Status status) {
  switch (status) {
  case Status::ok: return "ok";
  case Status::truncated: return "truncated";
  case Status::error: return "error";
  }
  return "?";
}

std::optional<Status> parse_status(std::string_view name) {
  for (const auto status : {Status::ok, Status::truncated, Status::error})
    if (name == to_string(status)) return status;
  return std::nullopt;
}

Result<TaskRecord> record_from_json(const json& j) {
  // A stranger's file: any field may be missing, of the wrong type, or out of range.
  auto record = identity_from(j);
  if (!record) return record;
  const auto status = status_from(j);
  if (!status) return std::unexpected(status.error());
  record->status = *status;
  read_details(j, *record);
  if (!counts_valid(*record)) return not_a_record("a token count is not a whole number from 0");
  if (record->seconds < 0) return not_a_record("seconds is negative");
  return record;
}

} // namespace rlm::bench
