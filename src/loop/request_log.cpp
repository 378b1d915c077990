#include "request_log.hpp"

#include <algorithm>

namespace rlm::loop {

RequestRecord RequestLog::next(const std::vector<providers::Message>& messages) {
  const auto shared = std::ranges::mismatch(m_previous, messages).in2 - messages.begin();
  RequestRecord record;
  record.keep = static_cast<std::size_t>(shared);
  record.messages.assign(messages.begin() + shared, messages.end());
  record.count = messages.size();
  m_previous = messages;
  return record;
}

} // namespace rlm::loop
