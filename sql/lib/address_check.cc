// SPDX-License-Identifier: MIT
// NAME
//   address_check - one resolution, every answer (rcptdb check, the API)
// SEE ALSO
//   address_check.h, resolver.h, map_answers.h, rcpt_decision.h
#include "address_check.h"

#include <nlohmann/json.hpp>

namespace rcptdb {

AddressCheck CheckAddress(Store& store, const std::string& raw) {
  AddressCheck r;
  r.raw = raw;
  r.res = Resolver(store).Resolve(raw);
  r.key = r.res.ok() && !r.res->input.empty() ? r.res->input : raw;
  std::size_t at = r.key.rfind('@');
  r.domain_key = at == std::string::npos ? r.key : r.key.substr(at + 1);
  for (MapId map : kAllMaps)
    r.maps.emplace_back(map, AnswerFromResolution(store, map, r.KeyFor(map), r.res));
  r.lmtp = DecideRcpt(r.res, r.key, kDovecotDelimiter);
  return r;
}

namespace {

using Json = nlohmann::ordered_json;

Json StringOrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

}  // namespace

std::string AddressCheckJson(const AddressCheck& r) {
  Json o;
  o["address"] = r.raw;
  if (!r.res.ok()) {
    o["verdict"] = nullptr;
    o["error"] = r.res.status().message();
  } else {
    const Resolution& res = *r.res;
    o["normalized"] = StringOrNull(res.input);
    o["verdict"] = VerdictName(res.verdict);
    o["domain"] = StringOrNull(res.domain);
    o["mailbox"] = StringOrNull(res.mailbox);
    o["delivery"] = StringOrNull(res.delivery);
    o["transport"] = StringOrNull(res.transport);
    o["detail"] = StringOrNull(res.detail);
    Json targets = Json::array();
    for (const Target& t : res.targets)
      targets.push_back({{"address", t.address},
                         {"mailbox", StringOrNull(t.mailbox)},
                         {"transport", StringOrNull(t.transport)}});
    o["targets"] = std::move(targets);
    o["path"] = res.path;
  }
  Json maps = Json::object();
  for (const auto& [map, a] : r.maps)
    maps[MapName(map)] = {{"key", r.KeyFor(map)},
                          {"result", MapAnswerKindName(a.kind)},
                          {"value", StringOrNull(a.value)},
                          {"why", a.why}};
  o["maps"] = std::move(maps);
  o["lmtp"] = {{"result", RcptReplyKindName(r.lmtp.kind)},
               {"code", r.lmtp.code},
               {"enhanced", r.lmtp.enhanced},
               {"text", r.lmtp.text},
               {"rewrite", StringOrNull(r.lmtp.rewrite)}};
  // Bytes that are not UTF-8 (an address as typed) become U+FFFD, so
  // that the output always parses.
  return o.dump(-1, ' ', false, Json::error_handler_t::replace);
}

const char* MapAnswerKindName(MapAnswer::Kind kind) {
  switch (kind) {
    case MapAnswer::Kind::kFound:
      return "found";
    case MapAnswer::Kind::kNotFound:
      return "notfound";
    case MapAnswer::Kind::kTemporary:
      return "temporary";
  }
  return "notfound";
}

const char* RcptReplyKindName(RcptReply::Kind kind) {
  switch (kind) {
    case RcptReply::Kind::kAccept:
      return "accept";
    case RcptReply::Kind::kReject:
      return "reject";
    case RcptReply::Kind::kDefer:
      return "defer";
  }
  return "reject";
}

}  // namespace rcptdb
