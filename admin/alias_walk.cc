// NAME
//   alias_walk - find alias and catch-all loops before they are committed
// DESCRIPTION
//   A breadth-first walk over the forwarding graph, mirroring the order of
//   the resolver's rules (resolver.h): exact mailbox, exact alias, without
//   detail, catch-all. It is deliberately wider than the resolver (it
//   follows disabled rows and domains) because it guards future states
//   too. Bounded by a visited set and kMaxNodes.
// SEE ALSO
//   alias_walk.h, resolver.h
#include "alias_walk.h"

#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "address.h"

namespace rcptdb::admin {
namespace {

// A walk this wide is a mail bomb, not a configuration; stop, no loop.
constexpr std::size_t kMaxNodes = 100000;

// The forwarding graph as seen through one Store.
class Graph {
 public:
  Graph(Store& store, std::string delimiters) : store_(store), delimiters_(std::move(delimiters)) {}

  // Appends the nodes that node forwards to.
  Status Next(const std::string& node, std::vector<std::string>& out);

 private:
  Status NextOfAddress(const Address& a, std::vector<std::string>& out);
  Store& store_;
  std::string delimiters_;
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

Status Graph::NextOfAddress(const Address& a, std::vector<std::string>& out) {
  Result<std::optional<Domain>> d = store_.FindDomain(a.domain);
  if (!d.ok()) return d.status();
  if (!*d || (*d)->kind == DomainKind::kRelay) return Status::Ok();  // foreign or relayed
  if ((*d)->kind == DomainKind::kAlias) {
    out.push_back(a.local + '@' + (*d)->target);
    return Status::Ok();
  }
  std::string address = a.str();
  Result<std::optional<Mailbox>> m = store_.FindMailbox(address);
  if (!m.ok()) return m.status();
  if (*m) return Status::Ok();
  Result<std::vector<AliasTarget>> rows = store_.FindAlias(address);
  if (!rows.ok()) return rows.status();
  for (const AliasTarget& row : *rows) out.push_back(row.target);
  if (!rows->empty()) return Status::Ok();
  if (std::optional<std::string_view> base = StripDetail(a.local, delimiters_)) {
    out.push_back(std::string(*base) + '@' + a.domain);
    return Status::Ok();
  }
  out.push_back(CatchallNode(a.domain));
  return Status::Ok();
}

}  // namespace

std::string CatchallNode(std::string_view domain) { return "@" + std::string(domain); }

Result<bool> LeadsTo(Store& store, std::string_view start, std::string_view goal) {
  Result<std::string> delimiters = store.GetSetting("delimiter");
  if (!delimiters.ok()) return delimiters.status();
  Graph graph(store, std::move(*delimiters));
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

}  // namespace rcptdb::admin
