// SPDX-License-Identifier: MIT
// NAME
//   resources - JSON replies: resources, pages, batch results
// SEE ALSO
//   resources.h, openapi.json
#include "resources.h"

#include <charconv>

#include "json.h"
#include "password.h"
#include "values.h"

namespace rcptdb::web {

Json RecordJson(const std::string& json, const std::string& version) {
  return Json::parse(RecordText(json, version), nullptr, false);
}

std::string RecordText(std::string_view json, std::string_view version) {
  if (version.empty() || !json.ends_with('}')) return std::string(json);
  std::string out(json.substr(0, json.size() - 1));
  if (out != "{") out += ',';
  return out + "\"version\":" + JsonQuote(version) + "}";
}

HttpResponse RecordResponse(int status, const std::string& json, const std::string& version,
                            const std::string& location) {
  HttpResponse r = JsonResponse(status, RecordJson(json, version));
  if (!version.empty()) r.Header("ETag", "\"" + version + "\"");
  if (!location.empty()) r.Header("Location", location);
  return r;
}

HttpResponse NoContent() {
  HttpResponse r;
  r.status = 204;
  return r;
}

std::string EncodeCursor(std::string_view key) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0, have = 0;
  for (char ch : key) {
    bits = (bits << 8) | static_cast<unsigned char>(ch);
    have += 8;
    while (have >= 6) {
      have -= 6;
      out += kAlphabet[(bits >> have) & 63];
    }
  }
  if (have > 0) out += kAlphabet[(bits << (6 - have)) & 63];
  return out;
}

Result<std::string> DecodeCursor(std::string_view cursor) {
  std::string out;
  unsigned bits = 0, have = 0;
  for (char ch : cursor) {
    int v = ch >= 'A' && ch <= 'Z'   ? ch - 'A'
            : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
            : ch >= '0' && ch <= '9' ? ch - '0' + 52
            : ch == '-'              ? 62
            : ch == '_'              ? 63
                                     : -1;
    if (v < 0) return Status::Invalid(std::string(kNotACursor));
    bits = (bits << 6) | static_cast<unsigned>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out += static_cast<char>((bits >> have) & 0xff);
    }
  }
  if (out.size() > 1024) return Status::Invalid(std::string(kNotACursor));
  return out;
}

Result<std::optional<std::string>> PasswordFrom(BodyFields& f, std::string* field) {
  std::optional<std::string> plain = f.String("password");
  bool has_hash = f.Has("password_hash");
  std::optional<std::string> hash = f.String("password_hash");
  if (plain && has_hash) {
    *field = "password_hash";
    return Status::Invalid("password, password_hash: give one of them, not both");
  }
  if (plain) {
    *field = "password";
    Result<std::string> h = HashPassword(*plain);
    if (!h.ok()) return Status::Invalid("password: " + h.status().message());
    return std::optional<std::string>(*h);
  }
  if (has_hash) {
    *field = "password_hash";
    // null or "": no password, the mailbox cannot log in.
    return std::optional<std::string>(hash.value_or(""));
  }
  return std::optional<std::string>();
}

std::optional<Problem> ReadPage(const Call& call, PageParams* page) {
  if (std::optional<std::string> l = call.Query("limit")) {
    int v = 0;
    auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (l->empty() || ec != std::errc() || end != l->data() + l->size() || v < 1 ||
        v > kMaxPageSize)
      return BadRequest("limit: expected a number from 1 to " + std::to_string(kMaxPageSize),
                        "limit");
    page->limit = v;
  }
  if (std::optional<std::string> c = call.Query("cursor")) {
    Result<std::string> key = DecodeCursor(*c);
    if (!key.ok()) return BadRequest(key.status().message(), "cursor");
    page->after = *key;
  }
  page->q = call.Query("q").value_or("");
  if (page->q.size() > 320) return BadRequest("q: at most 320 characters", "q");
  return std::nullopt;
}

namespace {

// The next page's cursor: none if this page of count items was not full.
std::optional<std::string> NextCursor(std::size_t count, std::size_t limit,
                                      const std::string& last_key) {
  if (count < limit || last_key.empty()) return std::nullopt;
  return EncodeCursor(last_key);
}

}  // namespace

Json PageJson(Json items, std::size_t limit, const std::string& last_key) {
  Json page;
  std::optional<std::string> next = NextCursor(items.size(), limit, last_key);
  page["items"] = std::move(items);
  page["next"] = next ? Json(*next) : Json(nullptr);
  return page;
}

std::string PageText(const std::vector<std::string>& items, std::size_t limit,
                     const std::string& last_key) {
  std::string out = "{\"items\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  std::optional<std::string> next = NextCursor(items.size(), limit, last_key);
  return out + "],\"next\":" + (next ? JsonQuote(*next) : "null") + "}";
}

Actor ActorOf(const Call& call) {
  const Principal& p = call.principal;
  const std::string& client = call.request.client;
  const std::string& id = call.request.request_id;
  if (!p.token.empty()) return Actor::ForToken(p.token, client, id);
  if (p.kind == Principal::Kind::kMailbox) return Actor::ForMailbox(p.login, client, id);
  return Actor::ForAdmin(p.login, client, id);
}

std::string IfMatchVersion(const Call& call) {
  std::string_view v = call.if_match;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  // "*": any version of a record that exists, which every write requires.
  if (v == "*") return "";
  return std::string(v);
}

Result<std::string> RouteDomain(const Call& call) {
  Result<std::string> d = ParseDomainName(call.Param("domain"));
  if (!d.ok()) return Status::NotFound(d.status().message());
  return *d;
}

Result<std::string> AddressIn(const std::string& domain, const std::string& local) {
  if (local.empty()) return Status::Invalid("local: required");
  if (local.find('@') != std::string::npos)
    return Status::Invalid("local: " + local +
                           ": a local part only; the domain comes from the path");
  Result<Address> a = ParseAddress(local + "@" + domain);
  if (!a.ok()) return a.status();
  return a->str();
}

HttpResponse JsonResponse(int status, const Json& json) {
  return JsonTextResponse(status, json.dump(-1, ' ', false, Json::error_handler_t::replace));
}

HttpResponse JsonTextResponse(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(text);
  return r;
}

Json BatchItemResult(const HttpResponse& r) {
  Json item;
  item["status"] = r.status;
  if (r.body.empty())
    item["body"] = nullptr;
  else
    item["body"] = Json::parse(r.body, nullptr, false);
  return item;
}

Problem BatchRefusal(Problem failed, const Json& done, std::size_t index) {
  Json results = done;
  Json mine;
  mine["status"] = failed.status;
  mine["body"] = Json::parse(ProblemResponse(failed).body, nullptr, false);
  results.push_back(std::move(mine));
  failed.detail += " (nothing was changed)";
  failed.extensions["failed_item"] = index;
  failed.extensions["results"] = std::move(results);
  return failed;
}

}  // namespace rcptdb::web
