// A run's records and result as JSON: one shape for the trajectory file and `rlm ask --json`.
#pragma once

#include "rlm/loop/run.hpp"
#include "rlm/providers/ledger.hpp"

#include <nlohmann/json.hpp>

namespace rlm::loop {

nlohmann::json to_json(const providers::Usage& usage);
nlohmann::json to_json(const providers::Tally& tally);
nlohmann::json to_json(const IterationRecord& record);
nlohmann::json to_json(const SubCallRecord& record);
nlohmann::json to_json(const RequestRecord& record);
nlohmann::json to_json(const StartInfo& info);
// The result with tokens and cost per role and per provider.
nlohmann::json to_json(const RunResult& result, const providers::UsageReport& usage);

} // namespace rlm::loop
