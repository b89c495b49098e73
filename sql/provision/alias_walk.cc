// SPDX-License-Identifier: MIT
// NAME
//   alias_walk - find alias and catch-all loops before they are committed
// DESCRIPTION
//   A breadth-first walk over the forwarding graph. Each step applies the
//   resolver's own rules (MatchLocal() of forwarding_rules.h: exact
//   mailbox, exact alias, without detail, catch-all), so their order lives
//   in one place. It is deliberately wider than the resolver (it follows
//   disabled rows and domains) because it guards future states too.
//   Bounded by a visited set and kMaxNodes.
// SEE ALSO
//   alias_walk.h, forwarding_rules.h, resolver.h
#include "alias_walk.h"

#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "address.h"
#include "forwarding_rules.h"

namespace rcptdb {
namespace {

// A walk this wide is a mail bomb, not a configuration; stop, no loop.
constexpr std::size_t kMaxNodes = 100000;

// The forwarding graph as seen through one Store.
class Graph {
 public:
  explicit Graph(Store& store) : store_(store) {}

  // Appends the nodes that node forwards to.
  Status Next(const std::string& node, std::vector<std::string>& out);

 private:
  Status NextOfAddress(const Address& a, std::vector<std::string>& out);
  Store& store_;
  Delimiters delimiters_;
};

Status Graph::Next(const std::string& node, std::vector<std::string>& out) {
  if (node.starts_with("@")) {
    Result<std::optional<Domain>> d = store_.FindDomain(node.substr(1));
    if (!d.ok()) return d.status();
    if (*d && !(*d)->catchall.empty()) out.push_back((*d)->catchall);
    return Status::Ok();
  }
  std::optional<Address> a = NormalizeAddress(node);
  if (!a) return Status::Ok();
  return NextOfAddress(*a, out);
}

// The resolver's own rules (forwarding_rules.h), except that disabled
// domains and rows are followed too.
Status Graph::NextOfAddress(const Address& a, std::vector<std::string>& out) {
  Result<std::optional<Domain>> d = store_.FindDomain(a.domain);
  if (!d.ok()) return d.status();
  if (!*d || (*d)->kind == DomainKind::kRelay) return Status::Ok();  // foreign or relayed
  if ((*d)->kind == DomainKind::kAlias) {
    out.push_back(a.local + '@' + (*d)->target);
    return Status::Ok();
  }
  Result<LocalMatch> m = MatchLocal(store_, **d, a.local, delimiters_);
  if (!m.ok()) return m.status();
  switch (m->kind) {
    case LocalMatch::Kind::kNone:
    case LocalMatch::Kind::kMailbox:
      break;
    case LocalMatch::Kind::kAlias:
      // Reached without its detail: the base alias is the next node, so
      // that an alias pointing to its own +detail is a loop.
      if (!m->detail.empty()) {
        out.push_back(m->address);
        break;
      }
      for (const AliasTarget& row : m->rows) out.push_back(row.target);
      break;
    case LocalMatch::Kind::kCatchall:
      out.push_back(CatchallNode(a.domain));
      break;
  }
  return Status::Ok();
}

}  // namespace

std::string CatchallNode(std::string_view domain) { return "@" + std::string(domain); }

Result<bool> LeadsTo(Store& store, std::string_view start, std::string_view goal) {
  Graph graph(store);
  std::set<std::string> seen{std::string(start)};
  std::deque<std::string> queue{std::string(start)};
  std::vector<std::string> next;
  while (!queue.empty() && seen.size() < kMaxNodes) {
    std::string node = std::move(queue.front());
    queue.pop_front();
    if (node == goal) return true;
    next.clear();
    Status s = graph.Next(node, next);
    if (!s.ok()) return s;
    for (std::string& n : next)
      if (seen.insert(n).second) queue.push_back(std::move(n));
  }
  return false;
}

}  // namespace rcptdb
