// SPDX-License-Identifier: MIT
// resources.h - the JSON shapes of the API's resources and replies
//
// One function per resource turns a row into the JSON that GET returns,
// POST and PATCH answer, and openapi.json describes; one writes a list
// page ({"items": [...], "next": CURSOR or null}). Every free-text value
// goes out as a JSON string, never as markup (the page inserts it as
// text too), and bytes that are not UTF-8 become U+FFFD.
//
// Thread safety: pure functions.
#ifndef RCPTDB_WEB_RESOURCES_H
#define RCPTDB_WEB_RESOURCES_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actor.h"
#include "call.h"
#include "http_message.h"
#include "json_body.h"
#include "problem.h"
#include "status.h"

namespace rcptdb::web {

// The most items one POST /api/v1/batch may hold.
inline constexpr std::size_t kMaxBatchItems = 1000;

// Returns json as an application/json response with status.
HttpResponse JsonResponse(int status, const Json& json);
inline Reply JsonReply(int status, const Json& json) { return JsonResponse(status, json); }
// Returns text, which is JSON already, as such a response.
HttpResponse JsonTextResponse(int status, std::string text);

// The default and the largest page a list answers (limit).
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// Returns a record's JSON as the provisioning code writes it
// (record_json.h), with "version" added when version is not empty.
Json RecordJson(const std::string& json, const std::string& version = "");
// The same as JSON text, without parsing json (an object's text).
std::string RecordText(std::string_view json, std::string_view version);
// Returns a record as a response: the JSON above, ETag (the version,
// quoted) and Location when given.
HttpResponse RecordResponse(int status, const std::string& json, const std::string& version,
                            const std::string& location = "");
// A 204 No Content.
HttpResponse NoContent();

// The page a list asks for: limit (1..kMaxPageSize), the cursor's key
// (the last key of the page before; "" from the start) and q (a prefix).
struct PageParams {
  int limit = kDefaultPageSize;
  std::string after;
  std::string q;
};
// Reads limit, cursor and q; a Problem (400) naming the parameter if one
// is malformed.
std::optional<Problem> ReadPage(const Call& call, PageParams* page);
// A cursor is the page's last key in base64url: opaque, and safe in a URL.
std::string EncodeCursor(std::string_view key);
Result<std::string> DecodeCursor(std::string_view cursor);
// Reads a password from a body: "password" (hashed here, with the CLI's
// hashing) or "password_hash" (a {SCHEME}hash; null or "": no login),
// never both. Returns the hash to store, nullopt if neither came; on a
// refusal *field names the field to blame.
Result<std::optional<std::string>> PasswordFrom(BodyFields& f, std::string* field);

// The refusal of a cursor that DecodeCursor or a list cannot read.
inline constexpr std::string_view kNotACursor = "cursor: not a cursor this API gave";
// Returns {"items": items, "next": cursor of last_key, or null if the
// page was not full (there is no next page)}.
Json PageJson(Json items, std::size_t limit, const std::string& last_key);
// The same as JSON text, items being JSON texts (RecordText): a long page
// of records written as text is not parsed to be written again.
std::string PageText(const std::vector<std::string>& items, std::size_t limit,
                     const std::string& last_key);

// A page of rows that are read whole (domains, sender rules, admins,
// tokens: a few per database) and offered in key order: it keeps the
// rows after the cursor whose searched text starts with q, up to limit.
class MemoryPage {
 public:
  explicit MemoryPage(const PageParams& page) : page_(page) {}
  // Returns true iff the row with key and searched text goes on this page.
  bool Wants(std::string_view key, std::string_view searched) const {
    return key > page_.after && searched.starts_with(page_.q) &&
           items_.size() < static_cast<std::size_t>(page_.limit);
  }
  void Add(std::string key, Json item) {
    last_ = std::move(key);
    items_.push_back(std::move(item));
  }
  // Returns the page ({"items", "next"}: PageJson).
  Json Finish() { return PageJson(std::move(items_), page_.limit, last_); }

 private:
  const PageParams& page_;
  Json items_ = Json::array();
  std::string last_;
};

// The Actor of the call's principal, for the audit rows of its changes.
Actor ActorOf(const Call& call);
// The If-Match value without quotes or W/ ("" if none or "*").
std::string IfMatchVersion(const Call& call);

// Returns the normal form of the route's {domain}; a 404 if it cannot
// name a domain.
Result<std::string> RouteDomain(const Call& call);
// Returns "local@domain" for the route's {local} (or the body field
// local) in the route's domain: the domain always comes from the path,
// so a body cannot point a change elsewhere. field names the source.
Result<std::string> AddressIn(const std::string& domain, const std::string& local);

// One item's line in a batch's results: its status and its body (null
// for an empty one).
Json BatchItemResult(const HttpResponse& r);
// The refusal of a whole batch: item failed's problem, with "results"
// listing what the items before it answered (all rolled back) and the
// failed item's problem in its place.
Problem BatchRefusal(Problem failed, const Json& done, std::size_t index);

}  // namespace rcptdb::web

#endif
