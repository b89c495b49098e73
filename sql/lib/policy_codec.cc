// SPDX-License-Identifier: MIT
// NAME
//   policy_codec - parse and encode SMTPD policy delegation blocks
// DESCRIPTION
//   A block is a run of "name=value" lines ended by an empty line. The
//   parser looks for the end of the block first (bounded by max_block), so
//   that a half-received block costs one scan and no allocation; only a
//   complete block is split into attributes. Postfix never sends a line
//   without '=', so such a line marks the block malformed rather than
//   guessing what was meant; the block is still consumed, so the next one
//   parses cleanly.
// SEE ALSO
//   policy_codec.h, SMTPD_POLICY_README (Postfix), access(5)
#include "policy_codec.h"

namespace rcptdb {
namespace {

std::string Clean(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\0') c = ' ';
  return out;
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool WordIs(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (Upper(text[i]) != word[i]) return false;
  return text.size() == word.size() || text[word.size()] == ' ' || text[word.size()] == '\t';
}

}  // namespace

std::optional<std::string_view> PolicyBlock::Get(std::string_view name) const {
  for (const auto& [n, v] : attributes)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

PolicyBlock ParsePolicyBlock(std::string_view buffer, std::size_t max_block) {
  PolicyBlock block;
  // Find the empty line: "\n" at the very start, or "\n\n" / "\n\r\n".
  std::size_t end = std::string_view::npos;
  std::size_t lines = 0;
  std::size_t limit = buffer.size() < max_block ? buffer.size() : max_block;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < limit; ++i) {
    if (buffer[i] != '\n') continue;
    std::string_view line = buffer.substr(line_start, i - line_start);
    if (line.empty() || line == "\r") {
      end = i + 1;
      break;
    }
    if (++lines > kPolicyMaxAttributes) {
      block.status = PolicyParse::kTooLong;
      return block;
    }
    line_start = i + 1;
  }
  if (end == std::string_view::npos) {
    block.status = buffer.size() >= max_block ? PolicyParse::kTooLong : PolicyParse::kNeedMore;
    return block;
  }
  block.consumed = end;
  block.status = PolicyParse::kBlock;
  std::size_t pos = 0;
  while (pos < end) {
    std::size_t eol = buffer.find('\n', pos);
    std::string_view line = buffer.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    std::size_t eq = line.find('=');
    if (eq == 0 || eq == std::string_view::npos || line.find('\0') != std::string_view::npos) {
      block.status = PolicyParse::kMalformed;
      block.attributes.clear();
      return block;
    }
    block.attributes.emplace_back(std::string(line.substr(0, eq)),
                                  std::string(line.substr(eq + 1)));
  }
  return block;
}

std::string EncodePolicyReply(std::string_view action) {
  std::string a = Clean(action);
  if (a.find_first_not_of(" \t") == std::string::npos) a = "DUNNO";
  return "action=" + a + "\n\n";
}

std::string EncodePolicyRequest(
    const std::vector<std::pair<std::string, std::string>>& attributes) {
  std::string out;
  for (const auto& [name, value] : attributes) out += Clean(name) + "=" + Clean(value) + "\n";
  return out + "\n";
}

PolicyVerdict ClassifyPolicyAction(std::string_view action) {
  while (!action.empty() && (action.front() == ' ' || action.front() == '\t'))
    action.remove_prefix(1);
  if (action.size() >= 3 && (action[0] == '4' || action[0] == '5') && action[1] >= '0' &&
      action[1] <= '9' && action[2] >= '0' && action[2] <= '9' &&
      (action.size() == 3 || action[3] == ' '))
    return action[0] == '4' ? PolicyVerdict::kDefer : PolicyVerdict::kReject;
  if (WordIs(action, "REJECT")) return PolicyVerdict::kReject;
  if (WordIs(action, "DEFER") || WordIs(action, "DEFER_IF_PERMIT")) return PolicyVerdict::kDefer;
  return PolicyVerdict::kNeutral;
}

}  // namespace rcptdb
