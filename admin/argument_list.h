// SPDX-License-Identifier: MIT
// argument_list.h - split rcptdb's argv into command words and options
//
// rcptdb reads "rcptdb [OPTIONS] GROUP [VERB] ARGS... [OPTIONS]": every
// token that starts with "--" is an option, anywhere on the line, either
// "--name value" or "--name=value"; "--" ends the options; "-h" is --help;
// everything else, a lone "-" or "-bob@example.com" included, is a word.
// The parser knows each option's arity from a table, so it never guesses
// whether the next token is a value. Which options a command accepts is
// the command table's business (commands.cc), not the parser's.
//
// Thread safety: pure functions and plain values.
#ifndef RCPTDB_ADMIN_ARGUMENT_LIST_H
#define RCPTDB_ADMIN_ARGUMENT_LIST_H

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace rcptdb::admin {

// One known option: its name without the dashes and whether it takes a value.
struct OptionSpec {
  std::string_view name;
  bool takes_value;
  bool repeatable = false;  // may be given more than once (Values())
};

struct ArgumentList {
  std::vector<std::string> words;                            // in order
  std::vector<std::pair<std::string, std::string>> options;  // name, value ("" if none)

  // Returns true iff option name was given.
  bool Has(std::string_view name) const;
  // Returns the value of option name, or nullopt if it was not given.
  std::optional<std::string> Value(std::string_view name) const;
  // Returns every value of option name, in order (a repeatable option).
  std::vector<std::string> Values(std::string_view name) const;
};

// Splits args (argv without the program name). Invalid, with a message
// naming the option, for an unknown option, a missing value, a value
// given to a flag, or an option that is not repeatable given twice.
Result<ArgumentList> ParseArgumentList(std::span<const std::string> args,
                                       std::span<const OptionSpec> known);

}  // namespace rcptdb::admin

#endif
