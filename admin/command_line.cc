// NAME
//   command_line - split rcptdb's argv into command words and options
// DESCRIPTION
//   A small hand parser instead of a CLI framework: rcptdb's grammar is a
//   few words and a dozen long options, and the parser must report every
//   mistake as one line naming the token (exit status 2), which a table
//   and a loop do plainly.
// SEE ALSO
//   command_line.h, commands.cc (which command takes which option)
#include "command_line.h"

#include <algorithm>

namespace rcptdb::admin {

bool CommandLine::Has(std::string_view name) const {
  return std::any_of(options.begin(), options.end(),
                     [name](const auto& o) { return o.first == name; });
}

std::optional<std::string> CommandLine::Value(std::string_view name) const {
  for (const auto& o : options)
    if (o.first == name) return o.second;
  return std::nullopt;
}

namespace {

const OptionSpec* FindSpec(std::span<const OptionSpec> known, std::string_view name) {
  for (const OptionSpec& spec : known)
    if (spec.name == name) return &spec;
  return nullptr;
}

// Reads the option at args[i] (and its value), advancing i past what it used.
Status TakeOption(std::span<const std::string> args, std::size_t& i,
                  std::span<const OptionSpec> known, CommandLine& line) {
  std::string_view token = args[i];
  std::string name = token == "-h" ? "help" : std::string(token.substr(2));
  std::optional<std::string> value;
  if (std::size_t eq = name.find('='); eq != std::string::npos) {
    value = name.substr(eq + 1);
    name.resize(eq);
  }
  const OptionSpec* spec = FindSpec(known, name);
  if (spec == nullptr) return Status::Invalid("unknown option --" + name);
  if (line.Has(name)) return Status::Invalid("option --" + name + " given twice");
  if (!spec->takes_value) {
    if (value) return Status::Invalid("option --" + name + " takes no value");
    line.options.emplace_back(name, "");
    return Status::Ok();
  }
  if (!value) {
    if (i + 1 >= args.size()) return Status::Invalid("option --" + name + " needs a value");
    value = args[++i];
  }
  line.options.emplace_back(name, std::move(*value));
  return Status::Ok();
}

}  // namespace

Result<CommandLine> ParseCommandLine(std::span<const std::string> args,
                                     std::span<const OptionSpec> known) {
  CommandLine line;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (!options_done && token == "--") {
      options_done = true;
    } else if (!options_done && (token.starts_with("--") || token == "-h")) {
      Status s = TakeOption(args, i, known, line);
      if (!s.ok()) return s;
    } else {
      line.words.push_back(token);
    }
  }
  return line;
}

}  // namespace rcptdb::admin
