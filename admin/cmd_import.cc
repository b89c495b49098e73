// SPDX-License-Identifier: MIT
// NAME
//   cmd_import - rcptdb import: load records in one transaction
// DESCRIPTION
//   Reads records (records.h) from a file or standard input and writes
//   them through the same Provisioner as the single commands, so an
//   imported mailbox is checked exactly like `rcptdb mailbox add`. The
//   whole file is one transaction: the first bad record stops the import,
//   names its line and value, and nothing is kept.
//
//   Alias and catch-all loop checks run after the last record: a catch-all
//   may name a mailbox that appears later in the file. Their errors still
//   name the line that added the forwarding step.
//
//   The format is CSV unless --format says otherwise or the first record
//   line starts with '{' (JSON lines).
// SEE ALSO
//   records.h, provision.h, progress.h, rcptdb(1) IMPORT AND EXPORT FORMAT
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "commands.h"
#include "importer.h"
#include "json.h"
#include "progress.h"
#include "provision.h"
#include "records.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

// What Input::Next found.
enum class LineRead { kLine, kEnd, kTooLong };

// Input - the lines of a file or of standard input, each bounded.
class Input {
 public:
  ~Input() {
    if (file_ != nullptr && file_ != stdin) std::fclose(file_);
  }
  Status Open(const std::string& name);
  // Reads the next line without its line end (LF or CRLF) into line, valid
  // until the next call. kTooLong as soon as a line exceeds kMaxRecordLine:
  // the rest of it is never buffered.
  LineRead Next(std::string_view& line);
  bool failed() const { return std::ferror(file_) != 0; }
  std::uint64_t size() const { return size_; }
  std::uint64_t read() const { return read_; }
  const std::string& name() const { return name_; }

 private:
  std::FILE* file_ = nullptr;
  std::string line_;
  std::uint64_t size_ = 0;
  std::uint64_t read_ = 0;
  std::string name_;
};

Status Input::Open(const std::string& name) {
  name_ = name == "-" ? "stdin" : name;
  file_ = name == "-" ? stdin : std::fopen(name.c_str(), "r");
  if (file_ == nullptr) return Status::Invalid(name + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode))
    size_ = static_cast<std::uint64_t>(st.st_size);
  return Status::Ok();
}

LineRead Input::Next(std::string_view& line) {
  line_.clear();
  int c = 0;
  // One byte more than a record may take, for the CR of a CRLF.
  while ((c = getc_unlocked(file_)) != EOF && c != '\n') {
    if (line_.size() > kMaxRecordLine) return LineRead::kTooLong;
    line_ += static_cast<char>(c);
  }
  if (c == EOF && line_.empty()) return LineRead::kEnd;
  read_ += line_.size() + (c == '\n' ? 1 : 0);
  line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return LineRead::kLine;
}

// Picks the format: --format, else JSON iff the first record starts with '{'.
Result<RecordFormat> DetectFormat(const Cli& cli, std::string_view first_line) {
  if (std::optional<std::string> name = cli.Value("format")) {
    std::optional<RecordFormat> f = ParseRecordFormat(*name);
    if (!f) return Status::Invalid("--format " + *name + ": must be csv or json");
    return *f;
  }
  std::size_t i = first_line.find_first_not_of(" \t");
  return i != std::string_view::npos && first_line[i] == '{' ? RecordFormat::kJson
                                                             : RecordFormat::kCsv;
}

// Reads and applies every line of in; the error names the line.
Status ImportLines(const Cli& cli, Input& in, Importer& importer, Progress& progress) {
  std::optional<RecordFormat> format;
  std::string_view line;
  std::size_t number = 0, records = 0;
  LineRead got;
  while ((got = in.Next(line)) != LineRead::kEnd) {
    ++number;
    auto where = [&in, number] { return in.name() + " line " + std::to_string(number); };
    if (got == LineRead::kTooLong)
      return Status::Invalid(where() + ": line too long (a record takes at most " +
                             std::to_string(kMaxRecordLine) + " bytes)");
    if (!format && line.find_first_not_of(" \t") != std::string_view::npos) {
      Result<RecordFormat> f = DetectFormat(cli, line);
      if (!f.ok()) return f.status();
      format = *f;
    }
    if (!format) continue;
    Result<std::optional<Record>> r = DecodeRecord(*format, line);
    if (!r.ok()) return WithContext(r.status(), where());
    if (!*r) continue;
    Status s = importer.Apply(**r, number);
    if (!s.ok()) return WithContext(s, where());
    progress.Update(++records, in.read());
  }
  if (in.failed()) return Status::Invalid(in.name() + ": read error: " + std::strerror(errno));
  return Status::Ok();
}

void PrintSummary(const Cli& cli, const std::map<RecordType, std::size_t>& counts) {
  std::size_t total = 0;
  JsonObject json;
  std::string text;
  for (const auto& [type, n] : counts) {
    total += n;
    json.Int(SpecOf(type).name, static_cast<std::int64_t>(n));
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(SpecOf(type).name);
  }
  if (cli.json)
    PrintLine(json.Int("total", static_cast<std::int64_t>(total)).str());
  else
    PrintLine("imported " + std::to_string(total) + " records" +
              (text.empty() ? "" : " (" + text + ")"));
}

}  // namespace

Outcome Import(Cli& cli) {
  if (std::optional<std::string> f = cli.Value("format"); f && !ParseRecordFormat(*f))
    return Outcome::Usage("--format " + *f + ": must be csv or json");
  Input in;
  Status s = in.Open(cli.args[0]);
  if (!s.ok()) return s;
  Result<std::unique_ptr<Store>> store = OpenForWriting(cli);
  if (!store.ok()) return store.status();
  Transaction tx(**store);
  s = tx.Begin();
  if (!s.ok()) return s;
  Importer importer(**store);
  Progress progress("importing", in.size());
  s = ImportLines(cli, in, importer, progress);
  if (s.ok()) {
    progress.Phase("checking aliases for loops");
    s = importer.CheckLoops(in.name());
  }
  if (s.ok()) {
    progress.Phase("committing");
    s = tx.Commit();
  }
  progress.Finish();
  if (!s.ok()) return s;
  PrintSummary(cli, importer.counts());
  return Outcome();
}

}  // namespace rcptdb::admin
