// SPDX-License-Identifier: MIT
// map_answers.h - what each Postfix lookup table answers
//
// All answers derive from one Resolver result (resolver.h), as does the
// LMTP plugin's decision (rcpt_decision.h), so the maps and the Dovecot
// plugin cannot disagree. The maps, by the Postfix parameter
// they serve:
//
//   domains     relay_domains           bare domain -> its kind, only if it
//                                       is ours and active (never a default:
//                                       any hit here means "relay for it")
//   transport   transport_maps          address -> route of its mailbox or
//                                       domain; "*" and bare domains: none
//   recipients  relay_recipient_maps    address -> found iff deliverable
//   aliases     virtual_alias_maps      address -> comma-separated targets
//                                       when delivery goes elsewhere than
//                                       the key (alias, alias domain,
//                                       catch-all, IDN U-label key)
//   senders     smtpd_sender_login_maps address -> logins allowed to use it
//                                       (a catch-all grants none unless the
//                                       setting catchall_senders is "yes")
//   access      check_recipient_access  address of a disabled mailbox ->
//                                       "550 5.2.1 Mailbox disabled", the
//                                       LMTP plugin's words (rcpt_replies.h);
//                                       else none
//                                       (never OK: it must not permit)
//
// The address maps also answer the bare key "postmaster" (senders
// excepted) when the postmaster setting names an address (resolver.h).
//
// Thread safety: functions use the Store they are given; one per thread.
#ifndef RCPTDB_MAP_ANSWERS_H
#define RCPTDB_MAP_ANSWERS_H

#include <optional>
#include <string>
#include <string_view>

#include "resolver.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

enum class MapId { kDomains, kTransport, kRecipients, kAliases, kSenders, kAccess };
inline constexpr MapId kAllMaps[] = {MapId::kDomains, MapId::kTransport, MapId::kRecipients,
                                     MapId::kAliases, MapId::kSenders,   MapId::kAccess};

const char* MapName(MapId map);
std::optional<MapId> ParseMapName(std::string_view name);

struct MapAnswer {
  enum class Kind { kFound, kNotFound, kTemporary };
  Kind kind = Kind::kNotFound;
  std::string value;                           // kFound: never empty; kTemporary: the cause
  std::string why;                             // one line for logs and `rcptdb check`
  Status::Cause cause = Status::Cause::kNone;  // kTemporary: its cause
};

// Answers key on map. Database trouble yields kTemporary, never kNotFound.
MapAnswer AnswerMap(Store& store, MapId map, std::string_view key);

// The same, from a resolution the caller already has (rcptdb check).
MapAnswer AnswerFromResolution(Store& store, MapId map, std::string_view key,
                               const Result<Resolution>& res);

}  // namespace rcptdb

#endif
