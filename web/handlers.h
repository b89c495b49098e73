// SPDX-License-Identifier: MIT
// handlers.h - one function per endpoint of /api/v1 (routes.cc lists them)
//
// A handler reads like the rcptdb command it mirrors: it reads its
// fields (values.h, the CLI's own parsers, so the refusals have the same
// words), describes the object it touches and asks Call::Allowed(), then
// calls the provisioning code (provision.h) in the transaction the
// dispatcher opened, and answers JSON (resources.h). It never decides
// who may do what, never writes SQL, and never formats a refusal itself.
//
// Thread safety: each call uses only its Call.
#ifndef RCPTDB_WEB_HANDLERS_H
#define RCPTDB_WEB_HANDLERS_H

#include <string_view>

#include "call.h"
#include "problem.h"

namespace rcptdb::web {

// handlers_meta.cc: the description, the explanation of an address, who
// am I, sessions, batches.
std::string_view OpenApiDocument();  // web/openapi.json, compiled in
Reply GetOpenApi(Call& call);
Reply GetCheck(Call& call);
Reply GetMe(Call& call);
Reply ChangeMyPassword(Call& call);
Reply StartSession(Call& call);
Reply GetSession(Call& call);
Reply EndSession(Call& call);
Reply RunBatch(Call& call);

// handlers_domains.cc
Reply ListDomains(Call& call);
Reply CreateDomain(Call& call);
Reply GetDomain(Call& call);
Reply UpdateDomain(Call& call);
Reply DeleteDomain(Call& call);

// handlers_mailboxes.cc
Reply ListMailboxes(Call& call);
Reply CreateMailbox(Call& call);
Reply GetMailbox(Call& call);
Reply UpdateMailbox(Call& call);
Reply DeleteMailbox(Call& call);

// handlers_aliases.cc
Reply ListAliases(Call& call);
Reply CreateAlias(Call& call);
Reply GetAlias(Call& call);
Reply UpdateAlias(Call& call);
Reply DeleteAlias(Call& call);

// handlers_domain_parts.cc: catch-all, relay recipients, sender logins
Reply GetCatchall(Call& call);
Reply SetCatchall(Call& call);
Reply DeleteCatchall(Call& call);
Reply ListRelayRecipients(Call& call);
Reply CreateRelayRecipient(Call& call);
Reply GetRelayRecipient(Call& call);
Reply DeleteRelayRecipient(Call& call);
Reply ListSenders(Call& call);
Reply CreateSender(Call& call);
Reply GetSender(Call& call);
Reply DeleteSender(Call& call);

// handlers_admin.cc: settings, administrators, tokens, audit, password
Reply GetSettings(Call& call);
Reply UpdateSettings(Call& call);
Reply ListAdmins(Call& call);
Reply CreateAdmin(Call& call);
Reply GetAdmin(Call& call);
Reply UpdateAdmin(Call& call);
Reply DeleteAdmin(Call& call);
Reply ListTokens(Call& call);
Reply CreateToken(Call& call);
Reply GetToken(Call& call);
Reply RevokeToken(Call& call);
Reply ListAudit(Call& call);

}  // namespace rcptdb::web

#endif
