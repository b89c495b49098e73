// SPDX-License-Identifier: MIT
// address_check.h - what an address means, and what each side answers
//
// `rcptdb check ADDRESS` and rcptdb-web's GET /api/v1/check/{address}
// explain one address the same way: the Resolver's verdict and path, what
// every Postfix map answers (map_answers.h, the lookup server's own code)
// and the LMTP plugin's RCPT reply (rcpt_decision.h, with Dovecot's usual
// delimiter "+"). An admin asking "why was this mail refused?" gets the
// answer the mail system got, not a re-implementation of it. Each front
// end only prints the AddressCheck: as text or JSON in the CLI, as JSON
// in the API, with the same field names.
//
// Thread safety: uses the Store it is given; one per thread.
#ifndef RCPTDB_ADDRESS_CHECK_H
#define RCPTDB_ADDRESS_CHECK_H

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "map_answers.h"
#include "rcpt_decision.h"
#include "resolver.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

// Dovecot's default recipient_delimiter, as the plugin is usually run.
inline constexpr std::string_view kDovecotDelimiter = "+";

struct AddressCheck {
  std::string raw;         // the address as given
  std::string key;         // normalised address, or raw if malformed
  std::string domain_key;  // what relay_domains would be asked
  Result<Resolution> res = Status::Temporary("not resolved");
  std::vector<std::pair<MapId, MapAnswer>> maps;  // every map, in kAllMaps order
  RcptReply lmtp;                                 // the plugin's reply to RCPT TO:<key>

  // Returns the key map is asked: domain_key for the domains map, else key.
  const std::string& KeyFor(MapId map) const { return map == MapId::kDomains ? domain_key : key; }
};

// Resolves raw once and derives every answer from that resolution.
AddressCheck CheckAddress(Store& store, const std::string& raw);

// Returns the explanation as one compact JSON object, the same for
// `rcptdb --json check` and the API: address, normalized, verdict,
// domain, mailbox, delivery, transport, detail, targets, path, maps (one
// object per map: key, result, value, why) and lmtp (result, code,
// enhanced, text, rewrite); empty strings are null. With database
// trouble: address, verdict null, error, maps and lmtp.
std::string AddressCheckJson(const AddressCheck& check);

// The one spelling of a map answer's and an RCPT reply's kind in JSON:
// "found", "notfound", "temporary"; "accept", "reject", "defer".
const char* MapAnswerKindName(MapAnswer::Kind kind);
const char* RcptReplyKindName(RcptReply::Kind kind);

}  // namespace rcptdb

#endif
