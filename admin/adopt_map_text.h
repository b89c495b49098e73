// SPDX-License-Identifier: MIT
// adopt_map_text.h - read Postfix table specifications and map source text
//
// rcptdb adopt postfix reads an existing Postfix setup without a running
// Postfix and without opening its indexed files: every hash:, btree:,
// lmdb: and cdb: table is read through the source text that postmap(1)
// built it from (the same path without the suffix), texthash: is that
// text itself, and inline: and static: tables are written in main.cf.
// These functions turn that text into entries; what an entry means is
// adopt_plan's job.
//
// Postmap's input format (postmap(1) INPUT FILE FORMAT): "key whitespace
// value"; blank lines and lines whose first non-blank character is '#'
// are ignored; a line that starts with white space continues the logical
// line before it. Keys are folded to lower case, as postmap does by
// default.
//
// Everything here reads untrusted text: each logical line is bounded
// (kMaxMapLine), and a line that cannot be read is reported with its
// number, never guessed at.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADMIN_ADOPT_MAP_TEXT_H
#define RCPTDB_ADMIN_ADOPT_MAP_TEXT_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace rcptdb::admin {

// The longest logical line (continuations joined) a map entry may take.
inline constexpr std::size_t kMaxMapLine = 64 * 1024;

// One "key value" pair and where it was written.
struct MapEntry {
  std::string key;       // folded to lower case
  std::string value;     // surrounding white space stripped
  std::size_t line = 0;  // first line of the logical line; 0: not from a file
  bool operator==(const MapEntry&) const = default;
};

// A line that could not be read as an entry, and why.
struct MapProblem {
  std::size_t line = 0;
  std::string why;
  bool operator==(const MapProblem&) const = default;
};

struct MapText {
  std::vector<MapEntry> entries;
  std::vector<MapProblem> problems;
};

// Reads postmap(1) source text. A line with a key but no value, a quoted
// key, a NUL byte or a logical line longer than kMaxMapLine is a problem
// naming its line; the other lines are still read.
MapText ParseMapSource(std::string_view text);

// One item of a main.cf list value: a table "type:name", or a bare word
// (a domain name, a /file of domain names, a !negation).
struct TableSpec {
  std::string type;  // "hash", "inline", ...; empty for a bare word
  std::string name;  // the path, the {...} body or the bare word
  // The item as written ("proxy:hash:/etc/postfix/virtual").
  std::string text;
  bool operator==(const TableSpec&) const = default;
};

// Splits a postconf -h value into its items: separated by commas and
// white space, except inside {...}. A leading "proxy:" is dropped from
// type (proxymap(8) reads the same table). Invalid for unbalanced braces.
Result<std::vector<TableSpec>> SplitTableList(std::string_view value);

// Returns true iff type is a table whose source text adopt can read:
// hash, btree, lmdb, cdb, dbm, sdbm (through the source file), texthash.
bool IsFileTableType(std::string_view type);

// Reads the body of an inline: table, "{ key=value, { key = value } }"
// (postconf(5) inline_table): entries in order, line 0. Invalid for a
// body without braces or an item without '='.
Result<std::vector<MapEntry>> ParseInlineTable(std::string_view body);

// Returns the value of a static: table: the name itself, or the text
// inside "{ ... }" with surrounding white space stripped.
Result<std::string> ParseStaticTable(std::string_view name);

// Splits a list of addresses written in a map value (virtual(5): "a@x,
// b@y c@z"): separated by commas and white space; empty items dropped.
std::vector<std::string> SplitAddressList(std::string_view value);

}  // namespace rcptdb::admin

#endif
