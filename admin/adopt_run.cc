// SPDX-License-Identifier: MIT
// NAME
//   adopt_run - report an adopt plan and write it through the importer
// DESCRIPTION
//   The report goes to standard output, one line per item, so that an
//   admin can read it, grep it, or keep it with the backup:
//     refused: WHERE: WHAT
//     note: WHERE: WHAT
//   then either the records (--dry-run) or "adopted N records (...)".
//   A record the Provisioner refuses stops the whole write, names where
//   the record came from, and leaves the database as it was.
// SEE ALSO
//   adopt_run.h, importer.h, records.h, rcptdb(1) ADOPTING AN EXISTING
//   INSTALLATION
#include "adopt_run.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "importer.h"
#include "json.h"
#include "store_words.h"

namespace rcptdb::admin {
namespace {

void PrintNotes(const Cli& cli, const char* kind, const std::vector<AdoptNote>& notes) {
  for (const AdoptNote& n : notes) {
    if (cli.json)
      PrintLine(
          JsonObject().String("type", kind).String("where", n.where).String("text", n.text).str());
    else
      PrintLine(std::string(kind) + ": " + n.where + ": " + n.text);
  }
}

Status PrintRecords(const AdoptPlan& plan) {
  for (const Record& r : plan.records) {
    Result<std::string> line = EncodeRecord(RecordFormat::kCsv, r);
    if (!line.ok()) return line.status();
    PrintLine(*line);
  }
  return Status::Ok();
}

std::string Summary(const std::map<RecordType, std::size_t>& counts, std::size_t* total) {
  std::string text;
  *total = 0;
  for (const auto& [type, n] : counts) {
    *total += n;
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(SpecOf(type).name);
  }
  return text;
}

}  // namespace

Result<std::string> ReadSourceFile(const std::string& path, std::size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::Invalid(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (text.size() + n > max_bytes) {
      std::fclose(f);
      return Status::Invalid(path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB");
    }
    text.append(buf, n);
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::Invalid(path + ": read error");
  return text;
}

Outcome RunAdoptPlan(Cli& cli, const AdoptPlan& plan) {
  PrintNotes(cli, "refused", plan.refusals);
  PrintNotes(cli, "note", plan.notes);
  bool partial = cli.Has("force-partial");
  if (!plan.refusals.empty() && !partial && !cli.Has("dry-run"))
    return Status::Invalid(std::to_string(plan.refusals.size()) +
                           " entries cannot be adopted (refused: above); nothing was written "
                           "(--force-partial writes the rest)");
  if (cli.Has("dry-run")) {
    if (!cli.json) {
      Status s = PrintRecords(plan);
      if (!s.ok()) return s;
    }
    std::fflush(stdout);
    if (!plan.refusals.empty())
      return Status::Invalid(std::to_string(plan.refusals.size()) +
                             " entries cannot be adopted (refused: above); this was a dry run");
    return Outcome();
  }
  Result<std::unique_ptr<Store>> store = OpenForWriting(cli);
  if (!store.ok()) return store.status();
  Transaction tx(**store);
  Status s = tx.Begin();
  if (!s.ok()) return s;
  Importer importer(**store);
  for (std::size_t i = 0; i < plan.records.size(); ++i) {
    s = importer.Apply(plan.records[i], i);
    if (!s.ok()) return WithContext(s, plan.origins[i]);
  }
  s = importer.CheckLoops([&plan](std::size_t i) { return plan.origins[i]; });
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) return s;
  std::size_t total = 0;
  std::string text = Summary(importer.counts(), &total);
  if (cli.json)
    PrintLine(JsonObject().Int("total", static_cast<std::int64_t>(total)).str());
  else
    PrintLine("adopted " + std::to_string(total) + " records" +
              (text.empty() ? "" : " (" + text + ")") +
              (plan.refusals.empty() ? ""
                                     : "; " + std::to_string(plan.refusals.size()) +
                                           " entries left out (--force-partial)"));
  return Outcome();
}

}  // namespace rcptdb::admin
