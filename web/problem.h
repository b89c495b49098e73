// SPDX-License-Identifier: MIT
// problem.h - every refusal of the API, as RFC 9457 problem+json
//
// A Problem is what the API answers instead of a result: an HTTP status,
// the detail in the provisioning code's own words ("bob@nowhere.test:
// domain nowhere.test does not exist", the same line `rcptdb` prints), and
// the request field it concerns, when there is one. ProblemFor() is the
// one mapping from a librcptdb Status to an HTTP status, and
// ProblemResponse() the one place that writes problem+json:
//
//   Status code   HTTP                        type (urn:rcptdb:problem:...)
//   kInvalid      422 Unprocessable Content   invalid
//   kNotFound     404 Not Found               not-found
//   kConflict     409 Conflict                conflict
//     (kChanged)  412 Precondition Failed     precondition-failed
//   kTemporary    503 Service Unavailable     temporary, Retry-After: 5
//
// and, from the HTTP layer and the API itself: 400 bad-request
// (malformed path, query, JSON or UTF-8), 401 unauthorized (with
// WWW-Authenticate), 403 forbidden, 405 method-not-allowed (with Allow),
// 411 length-required, 412 precondition-failed, 413 too-large, 429
// throttled (with Retry-After). Database trouble never becomes a 5xx
// other than 503, and its detail names the cause, never the database's
// location.
//
// Thread safety: plain values and pure functions.
#ifndef RCPTDB_WEB_PROBLEM_H
#define RCPTDB_WEB_PROBLEM_H

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "http_message.h"
#include "status.h"

namespace rcptdb::web {

struct Problem {
  int status = 400;
  std::string detail;
  std::string field;    // the request field it concerns ("quota", "targets[1]"); "" if none
  int retry_after = 0;  // seconds, for 429 and 503; 0: no Retry-After
  std::string allow;    // for 405: the methods the resource takes
  // More members of the problem object (RFC 9457 extensions), such as a
  // batch's per-item "results".
  nlohmann::ordered_json extensions = nlohmann::ordered_json::object();
};

// Returns the Problem for a Status that is not ok (see the table above).
Problem ProblemFor(const Status& status, std::string field = "");

// A keyword of a provisioning refusal's words and the request field it
// concerns: FieldFor() picks the field of the first keyword the message
// holds after its leading "VALUE: ", else fallback.
struct FieldHint {
  const char* keyword;
  const char* field;
};
std::string FieldFor(const Status& status, std::initializer_list<FieldHint> hints,
                     const char* fallback);

// Convenience constructors for the API's own refusals.
Problem MakeProblem(int status, std::string detail, int retry_after = 0);
Problem BadRequest(std::string detail, std::string field = "");
Problem Invalid(std::string detail, std::string field = "");
Problem NotFound(std::string detail = "no such resource");
Problem Forbidden(std::string detail);
// The 422 of a field that must be given: "FIELD: required".
Problem Required(const std::string& field);

// Returns p as an application/problem+json response: type, title,
// status, detail, field when set, and the extensions; Retry-After and
// Allow headers.
HttpResponse ProblemResponse(const Problem& p);

// Returns the type URI of an HTTP status's problems
// ("urn:rcptdb:problem:invalid").
std::string ProblemType(int status);

// Returns the standard reason phrase of an HTTP status.
const char* StatusTitle(int status);

// Reply - what a handler returns: a response, or a Problem.
class Reply {
 public:
  Reply(HttpResponse r) : response_(std::move(r)) {}               // NOLINT: implicit by design
  Reply(Problem p) : problem_(std::move(p)), is_problem_(true) {}  // NOLINT
  bool ok() const { return !is_problem_; }
  const Problem& problem() const { return problem_; }
  const HttpResponse& response() const { return response_; }
  // The response to send: the handler's, or ProblemResponse(problem()).
  HttpResponse Take() &&;

 private:
  HttpResponse response_;
  Problem problem_;
  bool is_problem_ = false;
};

}  // namespace rcptdb::web

#endif
