// SPDX-License-Identifier: MIT
// NAME
//   argument_list - split rcptdb's argv into command words and options
// DESCRIPTION
//   CLI11 does the tokenising: "--name value" and "--name=value", the
//   arity of each option, "-h" for --help, and "--" ending the options.
//   It sees one flat set of options built from the caller's table and no
//   subcommands: the command words, and which command takes which option,
//   stay in commands.cc's table, whose usage lines and "does not apply
//   here" checks users already know. Tokens CLI11 does not recognise come
//   back as extras, in order: a "--" token among them is an unknown
//   option, anything else a word. An option may be given once; CLI11
//   collects every occurrence so that this file can say so in rcptdb's
//   own words. A missing value and a value given to a flag are reported
//   in CLI11's words ("--quota: 1 required VALUE missing", "json was given
//   a disallowed flag override"); every mistake is still exit status 2.
// SEE ALSO
//   argument_list.h, commands.cc (which command takes which option)
#include "argument_list.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>

namespace rcptdb::admin {

bool ArgumentList::Has(std::string_view name) const {
  return std::any_of(options.begin(), options.end(),
                     [name](const auto& o) { return o.first == name; });
}

std::optional<std::string> ArgumentList::Value(std::string_view name) const {
  for (const auto& o : options)
    if (o.first == name) return o.second;
  return std::nullopt;
}

std::vector<std::string> ArgumentList::Values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& o : options)
    if (o.first == name) out.push_back(o.second);
  return out;
}

namespace {

// Registers every known option with app; returns them by name.
std::map<std::string, CLI::Option*> AddOptions(CLI::App& app, std::span<const OptionSpec> known) {
  std::map<std::string, CLI::Option*> added;
  for (const OptionSpec& spec : known) {
    std::string name = "--" + std::string(spec.name);
    if (spec.name == "help") name = "-h," + name;
    CLI::Option* o =
        spec.takes_value ? app.add_option(name)->type_name("VALUE") : app.add_flag(name);
    // Every occurrence is kept, so that "given twice" is reported below;
    // a flag refuses "--flag=value" instead of reading it as true/false.
    o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if (!spec.takes_value) o->disable_flag_override();
    added.emplace(spec.name, o);
  }
  return added;
}

// Turns CLI11's extras into words; an unknown "--" token before the
// end-of-options marker is an error.
Status TakeWords(const std::vector<std::string>& extras, ArgumentList& list) {
  bool options_done = false;
  for (const std::string& token : extras) {
    if (!options_done && token == "--") {
      options_done = true;
    } else if (!options_done && token.starts_with("--")) {
      return Status::Invalid("unknown option " + token.substr(0, token.find('=')));
    } else {
      list.words.push_back(token);
    }
  }
  return Status::Ok();
}

bool Repeatable(std::span<const OptionSpec> known, std::string_view name) {
  for (const OptionSpec& spec : known)
    if (spec.name == name) return spec.repeatable;
  return false;
}

}  // namespace

Result<ArgumentList> ParseArgumentList(std::span<const std::string> args,
                                       std::span<const OptionSpec> known) {
  CLI::App app;
  app.set_help_flag();  // -h and --help are ordinary entries of known
  app.allow_extras();
  std::map<std::string, CLI::Option*> options = AddOptions(app, known);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return Status::Invalid(e.what());
  }
  ArgumentList list;
  Status words = TakeWords(app.remaining(), list);
  if (!words.ok()) return words;
  std::map<std::string, std::size_t> seen;
  for (const CLI::Option* o : app.parse_order()) {
    auto it = std::find_if(options.begin(), options.end(),
                           [o](const auto& entry) { return entry.second == o; });
    const std::string& name = it->first;
    std::size_t n = seen[name]++;
    if (n > 0 && !Repeatable(known, name))
      return Status::Invalid("option --" + name + " given twice");
    std::string value;
    if (o->get_expected_min() > 0 && n < o->results().size()) value = o->results()[n];
    list.options.emplace_back(name, std::move(value));
  }
  return list;
}

}  // namespace rcptdb::admin
