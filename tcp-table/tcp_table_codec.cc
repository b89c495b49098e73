// SPDX-License-Identifier: MIT
// NAME
//   tcp_table_codec - encode and decode Postfix tcp_table(5) messages
// DESCRIPTION
//   The protocol, as Postfix 3.7's dict_tcp client speaks it:
//
//     request  "get" SP key LF          key %XX-encoded
//     reply    NNN SP text LF           text %XX-encoded, <= 4096 bytes with LF
//
//   Encoding replaces '%', white space, non-printing characters and every
//   byte >= 0x80 with "%XX" (upper-case hex); decoding accepts either case.
//   The client sends exactly one request and reads exactly one reply, so
//   every request line, good or bad, must get exactly one reply line.
//
//   Reply codes: 2xx found (text is the value), 5xx not found (connection
//   kept), 4xx temporary error (the client closes and the mail is deferred).
//   An empty value is a configuration error on the Postfix side and a bare
//   code without text is malformed, so neither is ever produced here.
//
//   Everything is bounded: a request line by max_line, a reply by 4096
//   bytes. A value that does not fit is refused with a 4xx, never cut: a
//   shortened alias list would silently drop recipients.
// SEE ALSO
//   tcp_table(5), Postfix src/util/dict_tcp.c and hex_quote.c (the client),
//   socketmap_codec.cc (the other lookup protocol)
#include "tcp_table_codec.h"

#include <utility>

namespace rcptdb {
namespace {

constexpr std::string_view kVerb = "get ";
constexpr char kHexDigits[] = "0123456789ABCDEF";

// Returns the value of a hex digit of either case, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True iff Postfix's hex_quote() sends c as itself: printable ASCII other
// than space and '%' (in the C locale, which Postfix's ISPRINT assumes).
bool IsPlain(unsigned char c) { return c > 0x20 && c < 0x7f && c != '%'; }

// Returns the length of c once encoded.
std::size_t EncodedSize(unsigned char c) { return IsPlain(c) ? 1 : 3; }

void AppendEncoded(std::string& out, unsigned char c) {
  if (IsPlain(c)) {
    out += static_cast<char>(c);
  } else {
    out += '%';
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 0x0f];
  }
}

// Returns "NNN SP" + the encoded text + LF; the caller has checked the size.
std::string ReplyLine(int code, std::string_view text) {
  std::string out = std::to_string(code);
  out += ' ';
  for (unsigned char c : text) AppendEncoded(out, c);
  out += '\n';
  return out;
}

// Returns the longest prefix of text whose encoding fits in budget bytes.
std::string_view FittingPrefix(std::string_view text, std::size_t budget) {
  std::size_t used = 0, n = 0;
  for (; n < text.size(); ++n) {
    std::size_t size = EncodedSize(static_cast<unsigned char>(text[n]));
    if (used + size > budget) break;
    used += size;
  }
  return text.substr(0, n);
}

}  // namespace

// ParseTcpTableRequest - find, check and decode one request line
TcpTableRequest ParseTcpTableRequest(std::string_view buffer, std::size_t max_line) {
  TcpTableRequest result;

  // Look for the LF only where a line may end: a peer that never sends one
  // costs at most max_line bytes of scanning per call.
  std::string_view window = buffer.substr(0, max_line);
  std::size_t lf = window.find('\n');
  if (lf == std::string_view::npos) {
    if (buffer.size() >= max_line) {
      result.status = TcpTableParse::kTooLong;
      result.consumed = max_line;
    }
    return result;  // kNeedMore, nothing consumed
  }
  result.consumed = lf + 1;

  // One CR before the LF is line-ending noise from hand-typed requests.
  std::string_view line = buffer.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  // Only "get" exists, in lower case, as Postfix sends it.
  result.status = TcpTableParse::kMalformed;
  if (line.substr(0, kVerb.size()) != kVerb) return result;
  std::optional<std::string> key = TcpTableDecode(line.substr(kVerb.size()));
  if (!key || key->empty() || key->find('\0') != std::string::npos) return result;
  result.status = TcpTableParse::kRequest;
  result.key = std::move(*key);
  return result;
}

// SkipRestOfTcpTableLine - drop the tail of an overlong request
TcpTableSkip SkipRestOfTcpTableLine(std::string_view buffer) {
  std::size_t lf = buffer.find('\n');
  if (lf == std::string_view::npos) return {buffer.size(), false};
  return {lf + 1, true};
}

// EncodeTcpTableReply - one reply line that Postfix will accept
std::string EncodeTcpTableReply(TcpTableReply kind, std::string_view text) {
  // "NNN SP" before the text, LF after it.
  constexpr std::size_t kTextBudget = kTcpTableMaxReply - 5;
  int code = static_cast<int>(kind);

  if (kind == TcpTableReply::kFound) {
    // Refuse, never alter, a value Postfix would not receive intact.
    if (text.empty()) return ReplyLine(400, "rcptdb: empty value");
    if (text.find('\0') != std::string_view::npos)
      return ReplyLine(400, "rcptdb: value contains NUL");
    if (FittingPrefix(text, kTextBudget).size() < text.size())
      return ReplyLine(400, "rcptdb: value too long for tcp_table");
    return ReplyLine(code, text);
  }

  // Not-found and temporary texts are only messages: default or shorten them.
  if (text.empty()) text = kind == TcpTableReply::kNotFound ? "not found" : "temporary failure";
  return ReplyLine(code, FittingPrefix(text, kTextBudget));
}

// TcpTableEncode - %XX-encode as Postfix's hex_quote() does
std::string TcpTableEncode(std::string_view raw) {
  std::string out;
  std::size_t size = 0;
  for (unsigned char c : raw) size += EncodedSize(c);
  out.reserve(size);
  for (unsigned char c : raw) AppendEncoded(out, c);
  return out;
}

// TcpTableDecode - undo %XX encoding, either hex case
std::optional<std::string> TcpTableDecode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (encoded.size() - i < 3) return std::nullopt;
    int hi = HexValue(encoded[i + 1]), lo = HexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

}  // namespace rcptdb
