// SPDX-License-Identifier: MIT
// importer.h - apply import records through the Provisioner
//
// An Importer applies decoded records (records.h) one by one through one
// Provisioner, exactly as `rcptdb import` does, and remembers the alias
// and catch-all loop checks for the end: a record may name a mailbox that
// comes later. rcptdb import (cmd_import.cc) and rcptdb adopt
// (cmd_adopt.cc) both write through it, so anything adopt writes is
// something import would have accepted.
//
// It never begins or commits: the caller holds one write transaction
// around the whole run.
//
// Thread safety: one thread, like the Store it uses.
#ifndef RCPTDB_ADMIN_IMPORTER_H
#define RCPTDB_ADMIN_IMPORTER_H

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "provision.h"
#include "records.h"

namespace rcptdb::admin {

// Importer - applies decoded records and remembers what to check at the end.
class Importer {
 public:
  explicit Importer(Store& store) : p_(store, Actor::ForUnixUser()) {}
  // Applies one record read from line number line.
  Status Apply(const Record& r, std::size_t line);
  // Runs the deferred loop checks; the error names the record's line.
  Status CheckLoops(const std::string& input_name);
  // The same, the error naming where(line) instead.
  Status CheckLoops(const std::function<std::string(std::size_t)>& where);
  const std::map<RecordType, std::size_t>& counts() const { return counts_; }

 private:
  Status ApplyDomain(const Record& r, std::size_t line);
  Status ApplyMailbox(const Record& r);
  Status ApplyAlias(const Record& r, std::size_t line);

  Provisioner p_;
  std::vector<std::pair<std::size_t, LoopEdge>> loops_;
  std::map<RecordType, std::size_t> counts_;
};

}  // namespace rcptdb::admin

#endif
