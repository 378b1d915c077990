// The Transport over libcurl: one easy handle per request, connections shared through a
// curl share object so repeated requests to a server reuse them.
#pragma once

#include "rlm/http/transport.hpp"

#include <memory>

namespace rlm::http {

class CurlTransport final : public Transport {
public:
  CurlTransport();
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::expected<Response, Failure> perform(const Request& request) override;

private:
  struct Shared;
  std::unique_ptr<Shared> m_shared;
};

} // namespace rlm::http
