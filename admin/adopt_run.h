// SPDX-License-Identifier: MIT
// adopt_run.h - report an adopt plan and write it through the importer
//
// Both adopt commands (cmd_adopt.cc: Postfix maps and Dovecot
// passwd-files; cmd_adopt_postfixadmin.cc: a PostfixAdmin database) end
// the same way: print what cannot be adopted (file and line, or table and
// row), what is written but worth reading, and then either the records
// (--dry-run, in import's CSV form) or the result of writing them in one
// transaction through the Importer (importer.h).
//
// Nothing is written while anything is refused, unless --force-partial
// says to write the rest; nothing is ever written with --dry-run.
//
// Thread safety: rcptdb is single-threaded.
#ifndef RCPTDB_ADMIN_ADOPT_RUN_H
#define RCPTDB_ADMIN_ADOPT_RUN_H

#include "adopt_plan.h"
#include "cli.h"

namespace rcptdb::admin {

// Reports plan and writes it into cli's database (see above).
Outcome RunAdoptPlan(Cli& cli, const AdoptPlan& plan);

// Reads the file at path, at most max_bytes; Invalid naming path otherwise.
Result<std::string> ReadSourceFile(const std::string& path, std::size_t max_bytes);

// The most a source file (a map's text, a passwd-file) may hold.
inline constexpr std::size_t kMaxSourceFile = std::size_t{512} << 20;

}  // namespace rcptdb::admin

#endif
