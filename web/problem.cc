// SPDX-License-Identifier: MIT
// NAME
//   problem - Status to HTTP, and the one writer of problem+json
// SEE ALSO
//   problem.h, RFC 9457
#include "problem.h"

#include <nlohmann/json.hpp>

namespace rcptdb::web {

Problem MakeProblem(int status, std::string detail, int retry_after) {
  Problem p;
  p.status = status;
  p.detail = std::move(detail);
  p.retry_after = retry_after;
  return p;
}

Problem ProblemFor(const Status& status, std::string field) {
  Problem p;
  p.field = std::move(field);
  switch (status.code()) {
    case Status::Code::kOk:
      p.status = 500;  // a caller bug: never turn success into a refusal silently
      p.detail = "internal error";
      return p;
    case Status::Code::kInvalid:
      p.status = 422;
      break;
    case Status::Code::kNotFound:
      p.status = 404;
      break;
    case Status::Code::kConflict:
      // A write that named a version the record no longer has (If-Match).
      p.status = status.cause() == Status::Cause::kChanged ? 412 : 409;
      break;
    case Status::Code::kTemporary:
      // Database trouble: retry later. The message may name the database
      // (a path, a host); the client learns only the cause.
      p.status = 503;
      p.retry_after = 5;
      p.detail = std::string("temporary failure: ") + CauseName(status.cause()) + "; retry later";
      p.field.clear();
      return p;
  }
  p.detail = status.message();
  return p;
}

std::string FieldFor(const Status& status, std::initializer_list<FieldHint> hints,
                     const char* fallback) {
  const std::string& m = status.message();
  std::size_t colon = m.find(": ");
  std::string_view rest =
      colon == std::string::npos ? std::string_view(m) : std::string_view(m).substr(colon + 2);
  for (const FieldHint& h : hints)
    if (rest.find(h.keyword) != std::string_view::npos) return h.field;
  return fallback;
}

Problem BadRequest(std::string detail, std::string field) {
  Problem p;
  p.status = 400;
  p.detail = std::move(detail);
  p.field = std::move(field);
  return p;
}

Problem Invalid(std::string detail, std::string field) {
  Problem p;
  p.status = 422;
  p.detail = std::move(detail);
  p.field = std::move(field);
  return p;
}

Problem Required(const std::string& field) { return Invalid(field + ": required", field); }

Problem NotFound(std::string detail) {
  Problem p;
  p.status = 404;
  p.detail = std::move(detail);
  return p;
}

Problem Forbidden(std::string detail) {
  Problem p;
  p.status = 403;
  p.detail = std::move(detail);
  return p;
}

const char* StatusTitle(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

std::string ProblemType(int status) {
  const char* name = "internal";
  switch (status) {
    case 400:
      name = "bad-request";
      break;
    case 401:
      name = "unauthorized";
      break;
    case 403:
      name = "forbidden";
      break;
    case 404:
      name = "not-found";
      break;
    case 405:
      name = "method-not-allowed";
      break;
    case 409:
      name = "conflict";
      break;
    case 411:
      name = "length-required";
      break;
    case 412:
      name = "precondition-failed";
      break;
    case 413:
      name = "too-large";
      break;
    case 415:
      name = "unsupported-media-type";
      break;
    case 422:
      name = "invalid";
      break;
    case 428:
      name = "precondition-required";
      break;
    case 429:
      name = "throttled";
      break;
    case 503:
      name = "temporary";
      break;
    default:
      break;
  }
  return std::string("urn:rcptdb:problem:") + name;
}

HttpResponse ProblemResponse(const Problem& p) {
  nlohmann::ordered_json body;
  body["type"] = ProblemType(p.status);
  body["title"] = StatusTitle(p.status);
  body["status"] = p.status;
  body["detail"] = p.detail;
  if (!p.field.empty()) body["field"] = p.field;
  for (auto it = p.extensions.begin(); it != p.extensions.end(); ++it)
    if (!body.contains(it.key())) body[it.key()] = it.value();
  HttpResponse r;
  r.status = p.status;
  r.content_type = "application/problem+json";
  // The detail may quote the client's own bytes: never let them break the
  // JSON (invalid UTF-8 becomes U+FFFD).
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (p.retry_after > 0) r.Header("Retry-After", std::to_string(p.retry_after));
  if (!p.allow.empty()) r.Header("Allow", p.allow);
  if (p.status == 401) r.Header("WWW-Authenticate", "Bearer realm=\"rcptdb\"");
  return r;
}

HttpResponse Reply::Take() && {
  if (is_problem_) return ProblemResponse(problem_);
  return std::move(response_);
}

}  // namespace rcptdb::web
