// SPDX-License-Identifier: MIT
// NAME
//   metrics_fetch - GET /metrics with libcurl
// DESCRIPTION
//   One easy handle per scrape: rcptdb top scrapes each server once a
//   second, and a fresh connection costs less than the screen it feeds.
//   CURLOPT_PROTOCOLS_STR limits libcurl to http, so a target can never
//   make it read a file or another protocol.
// SEE ALSO
//   metrics_fetch.h, libcurl's curl_easy_setopt(3)
#include "metrics_fetch.h"

#include <curl/curl.h>

#include <memory>

namespace rcptdb::admin {
namespace {

struct Body {
  std::string text;
  bool too_big = false;
};

std::size_t Append(char* data, std::size_t size, std::size_t n, void* to) {
  auto* body = static_cast<Body*>(to);
  if (body->text.size() + size * n > kMaxScrapeBytes) {
    body->too_big = true;
    return 0;  // libcurl then fails the transfer
  }
  body->text.append(data, size * n);
  return size * n;
}

}  // namespace

Result<MetricsUrl> MetricsUrlOf(const std::string& target) {
  if (target.rfind("unix:", 0) == 0) {
    if (target.size() < 7 || target[5] != '/')
      return Status::Invalid("expected unix:/absolute/path, got \"" + target + "\"");
    return MetricsUrl{"http://localhost/metrics", target.substr(5)};
  }
  if (target.rfind("http://", 0) == 0) return MetricsUrl{target, ""};
  std::size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == target.size() ||
      target.find_first_of("/ \t?#@") != std::string::npos)
    return Status::Invalid("expected HOST:PORT, unix:PATH or http://..., got \"" + target + "\"");
  return MetricsUrl{"http://" + target + "/metrics", ""};
}

Result<std::string> FetchMetrics(const std::string& target, std::chrono::milliseconds timeout) {
  Result<MetricsUrl> url = MetricsUrlOf(target);
  if (!url.ok()) return url.status();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Status::Temporary(Status::Cause::kOther, target + ": cannot start libcurl");
  Body body;
  char error[CURL_ERROR_SIZE] = "";
  curl_slist* headers = curl_slist_append(nullptr, "Accept: text/plain;version=0.0.4");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> owned(headers, &curl_slist_free_all);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url->url.c_str());
  if (!url->unix_socket.empty())
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, url->unix_socket.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(c);
  if (body.too_big)
    return Status::Temporary(
        Status::Cause::kOther,
        target + ": the reply is larger than " + std::to_string(kMaxScrapeBytes >> 20) + " MiB");
  if (rc != CURLE_OK)
    return Status::Temporary(Status::Cause::kUnreachable,
                             target + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return Status::Temporary(Status::Cause::kOther,
                             target + ": HTTP status " + std::to_string(status));
  return std::move(body.text);
}

}  // namespace rcptdb::admin
