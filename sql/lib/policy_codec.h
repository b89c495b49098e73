// SPDX-License-Identifier: MIT
// policy_codec.h - the bytes of Postfix's SMTPD policy delegation protocol
//
// SMTPD_POLICY_README: the client (Postfix smtpd, or rcptdb-server asking
// Dovecot's quota-status) writes one "name=value" line per attribute and
// ends the request with an empty line; the server answers "action=TEXT"
// and an empty line. The connection stays open for more requests, one at a
// time. Both directions use the same framing, so one parser reads requests
// (server side) and replies (client side).
//
// These functions turn received bytes into attribute blocks and answers
// into bytes. They know nothing of sockets or timeouts, allocate only what
// they return, never throw, and bound everything they look at: a block
// longer than max_block bytes or with more than kPolicyMaxAttributes lines
// is kTooLong, after which no safe place to resume exists (close).
//
// Thread safety: pure functions on caller-owned data; call from any thread.
#ifndef RCPTDB_POLICY_CODEC_H
#define RCPTDB_POLICY_CODEC_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcptdb {

// Postfix sends about 30 attributes of a few hundred bytes at most (the
// longest are ccert_* and the SASL user); 64 KiB leaves ample room.
inline constexpr std::size_t kPolicyMaxBlock = 65536;
inline constexpr std::size_t kPolicyMaxAttributes = 256;

enum class PolicyParse {
  kBlock,      // attributes is set
  kNeedMore,   // no empty line yet: read more bytes, keep the buffer
  kTooLong,    // over max_block bytes or kPolicyMaxAttributes lines: close
  kMalformed,  // a complete block with a line that is not "name=value"
               // (or holds a NUL): answer it, go on
};

struct PolicyBlock {
  PolicyParse status = PolicyParse::kNeedMore;
  // iff kBlock: in order; names non-empty; values may be empty. A "\r"
  // before "\n" is dropped, so that a hand-typed (telnet) session works.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::size_t consumed = 0;  // bytes to drop: the block for kBlock and kMalformed
  // Returns the value of the first attribute called name, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
};

// Parses the first block (lines up to and including an empty line) at the
// front of buffer.
PolicyBlock ParsePolicyBlock(std::string_view buffer, std::size_t max_block = kPolicyMaxBlock);

// Returns "action=" + action + "\n\n". Line breaks and NULs in action
// (which would end the reply early) become spaces; an empty action becomes
// "DUNNO".
std::string EncodePolicyReply(std::string_view action);

// Returns a request block: "name=value\n" per attribute, then "\n". Line
// breaks and NULs in values become spaces, so a value cannot inject lines.
std::string EncodePolicyRequest(const std::vector<std::pair<std::string, std::string>>& attributes);

// What an action tells Postfix to do with the recipient.
enum class PolicyVerdict {
  kNeutral,  // DUNNO, OK, anything that accepts or lets later checks decide
  kDefer,    // a 4xx code, DEFER, DEFER_IF_PERMIT
  kReject,   // a 5xx code, REJECT
};

// Classifies an action as Postfix's access(5) reading does: a leading
// three-digit 4xx or 5xx code followed by a space or the end, or the
// words DEFER and DEFER_IF_PERMIT (defer) or REJECT (reject),
// case-insensitive. DEFER_IF_REJECT is neutral: it defers only what a later
// check refuses anyway.
PolicyVerdict ClassifyPolicyAction(std::string_view action);

}  // namespace rcptdb

#endif
