// SPDX-License-Identifier: MIT
// resolver_cases.h - the resolver's test table (see fixture.h for the data)
#ifndef RCPTDB_TESTS_RESOLVER_CASES_H
#define RCPTDB_TESTS_RESOLVER_CASES_H

#include <string>

#include "resolver.h"

namespace rcptdb::test {

struct ResolverCase {
  std::string input;
  Verdict verdict;
  std::string delivered;            // see Delivered() in resolver_test.cc
  const char* transport = nullptr;  // checked when not null
};

inline const char kLmtp[] = "lmtp:inet:127.0.0.1:24";

using V = Verdict;
inline const ResolverCase kResolverCases[] = {
    // Mailboxes and normalisation.
    {"alice@example.com", V::kMailbox, "alice@example.com", kLmtp},
    {"ALICE@EXAMPLE.COM", V::kMailbox, "alice@example.com", kLmtp},
    {"Alice@Example.Com.", V::kMailbox, "alice@example.com"},
    {"  alice@example.com\t", V::kMailbox, "alice@example.com"},
    {"\"alice\"@example.com", V::kMailbox, "alice@example.com"},
    {"dave@example.com", V::kMailbox, "dave@example.com", "lmtp:inet:127.0.0.2:24"},
    {"o'neil@example.com", V::kMailbox, "o'neil@example.com"},
    {"a_b@example.com", V::kMailbox, "a_b@example.com"},
    // Recipient details (delimiter '+').
    {"alice+news@example.com", V::kMailbox, "alice+news@example.com", kLmtp},
    {"Alice+News@Example.com", V::kMailbox, "alice+news@example.com"},
    {"alice+@example.com", V::kMailbox, "alice+@example.com"},
    {"alice+a+b@example.com", V::kMailbox, "alice+a+b@example.com"},
    {"+alice@example.com", V::kUnknownRecipient, ""},
    {"alice-news@example.com", V::kUnknownRecipient, ""},
    {"dave+x@example.com", V::kMailbox, "dave+x@example.com", "lmtp:inet:127.0.0.2:24"},
    // Unknown and disabled recipients.
    {"nobody@example.com", V::kUnknownRecipient, "", kLmtp},
    {"carol@example.com", V::kDisabled, ""},
    {"CAROL@example.com", V::kDisabled, ""},
    {"carol+x@example.com", V::kDisabled, ""},
    // Aliases.
    {"sales@example.com", V::kAlias, "alice@example.com,bob@example.com"},
    {"sales+q3@example.com", V::kAlias, "alice@example.com,bob@example.com"},
    {"SALES@example.com", V::kAlias, "alice@example.com,bob@example.com"},
    {"info@example.com", V::kAlias, "alice@example.com"},
    {"old@example.com", V::kDisabled, ""},
    {"mixed@example.com", V::kAlias, "bob@example.com"},
    {"ext@example.com", V::kAlias, "someone@elsewhere.test"},
    {"nested@example.com", V::kAlias, "alice@example.com,bob@example.com"},
    {"loop1@example.com", V::kUnknownRecipient, ""},
    {"ghost@example.com", V::kUnknownRecipient, ""},
    {"paused@example.com", V::kDisabled, ""},
    {"viadomain@example.com", V::kAlias, "bob@example.com"},
    // Alias domain example.net -> example.com.
    {"alice@example.net", V::kMailbox, "alice@example.com", kLmtp},
    {"ALICE@EXAMPLE.NET", V::kMailbox, "alice@example.com"},
    {"alice+tag@example.net", V::kMailbox, "alice+tag@example.com"},
    {"nobody@example.net", V::kUnknownRecipient, ""},
    {"carol@example.net", V::kDisabled, ""},
    {"sales@example.net", V::kAlias, "alice@example.com,bob@example.com"},
    {"dave@example.net", V::kMailbox, "dave@example.com", "lmtp:inet:127.0.0.2:24"},
    // Catch-all example.org: never shadows a mailbox, alias or a disabled one.
    {"random@example.org", V::kAlias, "catchall@example.org"},
    {"Random+x@example.org", V::kAlias, "catchall@example.org"},
    {"real@example.org", V::kMailbox, "real@example.org"},
    {"real+x@example.org", V::kMailbox, "real+x@example.org"},
    {"team@example.org", V::kAlias, "real@example.org"},
    {"off@example.org", V::kDisabled, ""},
    {"off+x@example.org", V::kDisabled, ""},
    {"bounce@example.org", V::kDisabled, ""},
    {"catchall@example.org", V::kMailbox, "catchall@example.org"},
    // Relay domain: listed recipients only.
    {"listed@relay.example", V::kRelay, "listed@relay.example", "smtp:[backup.example]"},
    {"Listed@Relay.Example", V::kRelay, "listed@relay.example"},
    {"listed+x@relay.example", V::kRelay, "listed+x@relay.example"},
    {"other@relay.example", V::kUnknownRecipient, "", "smtp:[backup.example]"},
    // Domains that are not ours, or not active.
    {"x@off.example", V::kUnknownDomain, ""},
    {"x@broken.example", V::kUnknownDomain, ""},
    {"alice@nowhere.test", V::kUnknownDomain, ""},
    {"alice@sub.example.com", V::kUnknownDomain, ""},
    {"alice@com", V::kUnknownDomain, ""},
    // IDN: U-labels become A-labels.
    {"user@bücher.example", V::kMailbox, "user@xn--bcher-kva.example", kLmtp},
    {"USER@BÜCHER.EXAMPLE", V::kMailbox, "user@xn--bcher-kva.example"},
    {"user@xn--bcher-kva.example", V::kMailbox, "user@xn--bcher-kva.example"},
    {"user@XN--BCHER-KVA.example.", V::kMailbox, "user@xn--bcher-kva.example"},
    // Malformed: never found, never temporary.
    {"", V::kMalformed, ""},
    {"   ", V::kMalformed, ""},
    {"alice", V::kMalformed, ""},
    {"@example.com", V::kMalformed, ""},
    {"alice@", V::kMalformed, ""},
    {"alice@@example.com", V::kMalformed, ""},
    {"a@b@example.com", V::kMalformed, ""},
    {"alice@exa mple.com", V::kMalformed, ""},
    {"ali ce@example.com", V::kMalformed, ""},
    {"alice@.example.com", V::kMalformed, ""},
    {"alice@example..com", V::kMalformed, ""},
    {"alice@-example.com", V::kMalformed, ""},
    {".alice@example.com", V::kMalformed, ""},
    {"alice.@example.com", V::kMalformed, ""},
    {"al..ice@example.com", V::kMalformed, ""},
    {"jörg@example.com", V::kMalformed, ""},
    {"example.com", V::kMalformed, ""},
    {"*", V::kMalformed, ""},
    {std::string(65, 'a') + "@example.com", V::kMalformed, ""},
    {"alice@" + std::string(64, 'a') + ".com", V::kMalformed, ""},
    {std::string("alice@exam\0ple.com", 18), V::kMalformed, ""},
    {"<alice@example.com>", V::kMalformed, ""},
    // Routing tricks: never ours, even in a catch-all domain.
    {"user%elsewhere.test@example.com", V::kMalformed, ""},
    {"user%elsewhere.test@example.org", V::kMalformed, ""},
    {"elsewhere.test!user@example.com", V::kMalformed, ""},
    {"\"user@elsewhere.test\"@example.com", V::kMalformed, ""},
    {"\"user@elsewhere.test\"@example.org", V::kMalformed, ""},
    {"@elsewhere.test:alice@example.com", V::kMalformed, ""},
    {"\"ali ce\"@example.com", V::kMalformed, ""},
    {"\"ali\\\"ce\"@example.com", V::kMalformed, ""},
    // Keys are data: SQL and pattern characters match only themselves.
    {"a%b@example.com", V::kMalformed, ""},
    {"axb@example.com", V::kUnknownRecipient, ""},
    {"a_@example.com", V::kUnknownRecipient, ""},
    {"*@example.com", V::kUnknownRecipient, ""},
    {"'or'1'='1@example.com", V::kUnknownRecipient, ""},
    {"alice'--@example.com", V::kUnknownRecipient, ""},
    {"x');drop table mailboxes;--@example.com", V::kMalformed, ""},
    {"\\alice@example.com", V::kMalformed, ""},
    {"alice@example.com'", V::kMalformed, ""},
    {"alice@%", V::kMalformed, ""},
};

}  // namespace rcptdb::test

#endif
