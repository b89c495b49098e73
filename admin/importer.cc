// SPDX-License-Identifier: MIT
// NAME
//   importer - apply import records through the Provisioner
// DESCRIPTION
//   Each record type maps to one Provisioner call; the record's text
//   fields are read with the same value parsers as the single commands.
// SEE ALSO
//   importer.h, records.h, provision.h, cmd_import.cc, cmd_adopt.cc
#include "importer.h"

#include "store_words.h"
#include "values.h"

namespace rcptdb::admin {

Status Importer::Apply(const Record& r, std::size_t line) {
  Status s;
  switch (r.type) {
    case RecordType::kConfig:
      s = p_.SetSetting(r.Field(0), r.Field(1));
      break;
    case RecordType::kDomain:
      s = ApplyDomain(r, line);
      break;
    case RecordType::kMailbox:
      s = ApplyMailbox(r);
      break;
    case RecordType::kAlias:
      s = ApplyAlias(r, line);
      break;
    case RecordType::kRelayRecipient:
      s = p_.AddRelayRecipient(r.Field(0));
      break;
    case RecordType::kSender: {
      Result<bool> allow = ParseFlag(r.Field(2), true, "allow");
      s = allow.ok() ? p_.SetSenderLogin(r.Field(0), r.Field(1), *allow) : allow.status();
      break;
    }
  }
  if (s.ok()) ++counts_[r.type];
  return s;
}

Status Importer::ApplyDomain(const Record& r, std::size_t line) {
  Result<DomainKind> kind = ParseKind(r.Field(1).empty() ? "hosted" : r.Field(1));
  if (!kind.ok()) return WithContext(kind.status(), r.Field(0) + ": kind");
  Result<bool> active = ParseFlag(r.Field(5), true, "active");
  if (!active.ok()) return WithContext(active.status(), r.Field(0));
  Domain d{r.Field(0), *kind, *active, r.Field(2), r.Field(3), r.Field(4)};
  std::optional<LoopEdge> edge;
  Status s = p_.AddDomain(std::move(d), &edge);
  if (s.ok() && edge) loops_.emplace_back(line, std::move(*edge));
  return s;
}

Status Importer::ApplyMailbox(const Record& r) {
  Mailbox m;
  m.address = r.Field(0);
  m.password = r.Field(1);
  if (!r.Field(2).empty()) {
    Result<std::int64_t> quota = ParseQuota(r.Field(2));
    if (!quota.ok()) return WithContext(quota.status(), r.Field(0));
    m.quota = *quota;
  }
  m.transport = r.Field(3);
  Result<bool> active = ParseFlag(r.Field(4), true, "active");
  if (!active.ok()) return WithContext(active.status(), r.Field(0));
  m.active = *active;
  m.description = r.Field(5);
  return p_.AddMailbox(std::move(m));
}

Status Importer::ApplyAlias(const Record& r, std::size_t line) {
  Result<bool> active = ParseFlag(r.Field(2), true, "active");
  if (!active.ok()) return WithContext(active.status(), r.Field(0));
  Result<LoopEdge> edge = p_.AddAliasTarget(r.Field(0), r.Field(1), *active);
  if (!edge.ok()) return edge.status();
  loops_.emplace_back(line, std::move(*edge));
  return Status::Ok();
}

Status Importer::CheckLoops(const std::string& input_name) {
  return CheckLoops(
      [&input_name](std::size_t line) { return input_name + " line " + std::to_string(line); });
}

Status Importer::CheckLoops(const std::function<std::string(std::size_t)>& where) {
  for (const auto& [line, edge] : loops_) {
    Status s = p_.CheckForwarding(edge);
    if (!s.ok()) return WithContext(s, where(line));
  }
  return Status::Ok();
}

}  // namespace rcptdb::admin
