// What each request to a run's root model sent, for the trajectory, in space linear in the
// run: a request is the previous one's first messages (all of them, while the conversation
// only grows) and the messages after those. A compacted conversation changes older messages,
// so a request then shares a shorter start with the one before.
#pragma once

#include "rlm/loop/run.hpp"

#include <vector>

namespace rlm::loop {

class RequestLog {
public:
  // The record of sending `messages` (run, depth and iteration are the caller's to fill).
  RequestRecord next(const std::vector<providers::Message>& messages);

private:
  std::vector<providers::Message> m_previous;
};

} // namespace rlm::loop
