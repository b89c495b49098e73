// SPDX-License-Identifier: MIT
// alias_walk.h - find alias and catch-all loops before they are committed
//
// The resolver survives loops (it drops a target it has seen), so a loop
// is not a crash but a silent black hole: mail to the alias is refused as
// unknown. rcptdb refuses to create one. LeadsTo() follows, in the
// database as it is inside the writer's transaction, every way an address
// can be forwarded: alias-domain rewriting, alias rows (active or not: a
// disabled row is one `alias enable` away from looping), the address
// without its +detail, and the domain's catch-all. A mailbox, a relay
// domain or a foreign domain ends the walk.
//
// Nodes are addresses, and "@DOMAIN" for the catch-all of DOMAIN, so a
// catch-all that leads back to itself is found the same way.
//
// Thread safety: uses the Store it is given; one thread.
#ifndef RCPTDB_PROVISION_ALIAS_WALK_H
#define RCPTDB_PROVISION_ALIAS_WALK_H

#include <string>
#include <string_view>

#include "status.h"
#include "store.h"

namespace rcptdb {

// The node that stands for the catch-all of domain.
std::string CatchallNode(std::string_view domain);

// Returns true iff following start reaches goal (an address or a
// CatchallNode). Temporary on database trouble.
Result<bool> LeadsTo(Store& store, std::string_view start, std::string_view goal);

}  // namespace rcptdb

#endif
