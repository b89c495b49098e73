// SPDX-License-Identifier: MIT
// NAME
//   store_words - say in words why the database refused a write
// DESCRIPTION
//   One table from the constraint names of sql/schema.sql to sentences.
//   Trigger messages (RAISE(ABORT, ...)) are already sentences and pass
//   through unchanged.
// SEE ALSO
//   store_words.h, sql/schema.sql
#include "store_words.h"

#include "values.h"

namespace rcptdb {
namespace {

struct Words {
  std::string_view constraint;
  std::string_view words;
};

constexpr Words kWords[] = {
    {"domain_not_normalised", "not a domain name in normal form (lower-case A-label)"},
    {"unknown_domain_kind", "domain kind must be hosted, relay or alias"},
    {"active_flag", "active must be 1 or 0"},
    {"transport_syntax",
     "transport must be transport:nexthop in printable ASCII, without leading or trailing "
     "blanks"},
    {"catchall_not_normalised", "catch-all target is not an address in normal form"},
    {"alias_domain_needs_target",
     "an alias domain needs a target, and only an alias domain has one"},
    {"alias_domain_to_itself", "an alias domain cannot point to itself"},
    {"catchall_needs_hosted", "only hosted domains have a catch-all"},
    {"alias_domain_transport", "an alias domain has no transport of its own"},
    {"address_not_normalised", "not an address in normal form"},
    {"password_not_scheme_hash", "password must be a {SCHEME}hash"},
    {"quota_not_bytes", "quota must be a whole number of bytes"},
    {"description_text", kDescriptionRule},
    {"source_not_normalised", "alias source is not an address in normal form"},
    {"target_not_normalised", "alias target is not an address in normal form"},
    {"alias_to_itself", "an alias cannot point to itself"},
    {"login_not_normalised", "login must be printable ASCII without spaces or commas"},
    {"delimiter_chars", "delimiter must be at most 8 of the characters -+=_.#~"},
    {"postmaster_not_normalised", "postmaster must be an address in normal form, or empty"},
    {"catchall_senders_flag", "catchall_senders must be yes or no"},
};

}  // namespace

std::string ConstraintInWords(std::string_view store_message) {
  for (const Words& w : kWords)
    if (store_message.find(w.constraint) != std::string_view::npos) return std::string(w.words);
  return std::string(store_message);
}

Status Explain(const Status& s, std::string_view value) {
  if (s.ok() || s.temporary()) return s;
  return WithContext(WithMessage(s, ConstraintInWords(s.message())), value);
}

Status WithContext(const Status& s, std::string_view context) {
  return WithMessage(s, std::string(context) + ": " + s.message());
}

Status WithMessage(const Status& s, std::string msg) { return s.Reworded(std::move(msg)); }

}  // namespace rcptdb
