// SPDX-License-Identifier: MIT
// NAME
//   fuzz_web - libFuzzer target for rcptdb-web's request parsing
// DESCRIPTION
//   The input is a request-target, a newline, and a body. The target goes
//   through ParseRequestTarget() (the path split, then each segment and
//   query item decoded), the body through ParseJsonObject() and a
//   BodyFields that reads the members a handler would. Aborts when an
//   invariant breaks: an accepted target with an empty, "." or ".."
//   segment, NUL or bytes that are not UTF-8 in a decoded value, more
//   segments or parameters than the bounds; a segment that does not come
//   back through EncodeSegment(); an accepted body that is not an object,
//   holds NUL, nests deeper than kMaxJsonDepth or does not read back from
//   its own dump; a member refused by RefuseUnknown() that was read.
// SEE ALSO
//   web/request_target.h, web/json_body.h, tests/fuzz/run-fuzzers
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "json_body.h"
#include "request_target.h"
#include "utf8.h"

namespace rcptdb::web {
namespace {

bool Clean(const std::string& s) { return s.find('\0') == std::string::npos && IsUtf8(s); }

void CheckTarget(std::string_view raw) {
  Result<RequestTarget> t = ParseRequestTarget(raw);
  if (!t.ok()) return;
  CHECK(raw.size() <= kMaxTargetBytes);
  CHECK(t->segments.size() <= kMaxSegments);
  CHECK(t->query.size() <= kMaxQueryParams);
  std::string again;
  for (const std::string& s : t->segments) {
    CHECK(!s.empty() && s != "." && s != "..");
    CHECK(Clean(s));
    again += "/" + EncodeSegment(s);
  }
  for (const auto& [n, v] : t->query) CHECK(Clean(n) && Clean(v));
  if (again.empty()) again = "/";
  Result<RequestTarget> back = ParseRequestTarget(again);
  CHECK(back.ok());
  CHECK(back->segments == t->segments);
}

int Depth(const Json& j) {
  int d = 0;
  if (j.is_object() || j.is_array())
    for (const Json& v : j) d = std::max(d, Depth(v));
  return (j.is_object() || j.is_array()) ? d + 1 : 0;
}

bool NoNul(const Json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().find('\0') == std::string::npos;
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key().find('\0') != std::string::npos || !NoNul(it.value())) return false;
  if (j.is_array())
    for (const Json& v : j)
      if (!NoNul(v)) return false;
  return true;
}

void CheckBody(std::string_view body) {
  Result<Json> j = ParseJsonObject(body);
  if (!j.ok()) return;
  CHECK(j->is_object());
  CHECK(Depth(*j) <= kMaxJsonDepth);
  CHECK(NoNul(*j));
  Result<Json> back = ParseJsonObject(j->dump());
  CHECK(back.ok());
  CHECK(*back == *j);
  // Read what handlers read; every type mismatch is a Problem, never a throw.
  BodyFields f(*j, "items[0].body");
  f.String("local");
  f.Bool("active");
  f.Int("quota");
  f.Strings("targets");
  bool has_other = false;
  for (auto it = j->begin(); it != j->end(); ++it)
    has_other = has_other || (it.key() != "local" && it.key() != "active" && it.key() != "quota" &&
                              it.key() != "targets");
  bool typed = f.problem().has_value();
  f.RefuseUnknown();
  CHECK(f.problem().has_value() == (typed || has_other));
  if (f.problem()) CHECK(f.problem()->field.starts_with("items[0].body."));
}

}  // namespace
}  // namespace rcptdb::web

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t nl = in.find('\n');
  rcptdb::web::CheckTarget(in.substr(0, nl));
  if (nl != std::string_view::npos) rcptdb::web::CheckBody(in.substr(nl + 1));
  return 0;
}
