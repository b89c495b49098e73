// SPDX-License-Identifier: MIT
// store_words.h - say in words why the database refused a write
//
// Store reports a refused write with SQLite's message, which names the
// schema's constraint ("CHECK constraint failed: transport_syntax"). That is
// exact but reads like a stack trace to a mail admin; Explain() keeps the
// status code and puts the value first and the rule in words after it.
//
// Thread safety: pure functions.
#ifndef RCPTDB_PROVISION_STORE_WORDS_H
#define RCPTDB_PROVISION_STORE_WORDS_H

#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb {

// Returns the rule a store message names, in words; the message itself if
// it names no constraint rcptdb knows.
std::string ConstraintInWords(std::string_view store_message);

// Returns s with its message as "VALUE: rule in words"; ok stays ok and
// database trouble (kTemporary) keeps its message, which names the file.
Status Explain(const Status& s, std::string_view value);

// Returns s with "context: " before its message, keeping its code.
Status WithContext(const Status& s, std::string_view context);

// Returns a status with the code of s and message msg (ok stays ok).
Status WithMessage(const Status& s, std::string msg);

}  // namespace rcptdb

#endif
