// SPDX-License-Identifier: MIT
// NAME
//   json - the small JSON subset rcptdb writes and reads
// DESCRIPTION
//   A writer that escapes strings and never emits invalid UTF-8, and a
//   reader for one flat object per line. The reader is strict (no trailing
//   commas, no comments, no nesting) because its input is meant to come
//   from rcptdb export or from a script, and a lenient reader would accept
//   a file whose meaning the admin did not intend.
// SEE ALSO
//   json.h, RFC 8259
#include "json.h"

#include <cstdio>

#include "utf8.h"

namespace rcptdb {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Advances i over one or more digits; false if there is none.
bool Digits(std::string_view s, std::size_t& i) {
  std::size_t start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i > start;
}

}  // namespace

bool IsJsonNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0')
    ++i;
  else if (!Digits(s, i))
    return false;
  if (i < s.size() && s[i] == '.' && !Digits(s, ++i)) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!Digits(s, i)) return false;
  }
  return i == s.size();
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
    i += n;
  }
  return out + "\"";
}

void JsonObject::Key(std::string_view key) {
  if (!body_.empty()) body_ += ',';
  body_ += JsonQuote(key);
  body_ += ':';
}

JsonObject& JsonObject::String(std::string_view key, std::string_view value) {
  Key(key);
  body_ += JsonQuote(value);
  return *this;
}

JsonObject& JsonObject::StringOrNull(std::string_view key, std::string_view value) {
  if (value.empty()) return Raw(key, "null");
  return String(key, value);
}

JsonObject& JsonObject::Int(std::string_view key, std::int64_t value) {
  return Raw(key, std::to_string(value));
}

JsonObject& JsonObject::Bool(std::string_view key, bool value) {
  return Raw(key, value ? "true" : "false");
}

JsonObject& JsonObject::Raw(std::string_view key, std::string_view json) {
  Key(key);
  body_ += json;
  return *this;
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  return out + "]";
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const std::string& s : items) quoted.push_back(JsonQuote(s));
  return JsonArray(quoted);
}

namespace {

// JsonReader - a cursor over one line of JSON text.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}
  Result<std::vector<std::pair<std::string, JsonValue>>> Object();

 private:
  Status Fail(const std::string& what) const {
    return Status::Invalid("JSON: " + what + " at offset " + std::to_string(pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\n'))
      ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  Result<std::string> String();
  Status Escape(std::string& out);
  Result<JsonValue> Value();
  Result<JsonValue> Word();

  std::string_view text_;
  std::size_t pos_ = 0;
};

void AppendUtf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Reads four hex digits at text[pos].
bool Hex4(std::string_view text, std::size_t pos, unsigned& out) {
  if (pos + 4 > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + 4; ++i) {
    char c = text[i];
    unsigned v = (c >= '0' && c <= '9')   ? unsigned(c - '0')
                 : (c >= 'a' && c <= 'f') ? unsigned(c - 'a' + 10)
                 : (c >= 'A' && c <= 'F') ? unsigned(c - 'A' + 10)
                                          : 16u;
    if (v == 16) return false;
    out = out * 16 + v;
  }
  return true;
}

// Reads the escape after a backslash (pos_ at the letter).
Status JsonReader::Escape(std::string& out) {
  char e = pos_ < text_.size() ? text_[pos_++] : '\0';
  switch (e) {
    case '"':
    case '\\':
    case '/':
      out += e;
      return Status::Ok();
    case 'b':
      out += '\b';
      return Status::Ok();
    case 'f':
      out += '\f';
      return Status::Ok();
    case 'n':
      out += '\n';
      return Status::Ok();
    case 'r':
      out += '\r';
      return Status::Ok();
    case 't':
      out += '\t';
      return Status::Ok();
    case 'u':
      break;
    default:
      return Fail("bad escape");
  }
  unsigned cp = 0;
  if (!Hex4(text_, pos_, cp)) return Fail("bad \\u escape");
  pos_ += 4;
  if (cp >= 0xd800 && cp < 0xdc00) {
    unsigned lo = 0;
    if (text_.substr(pos_, 2) != "\\u" || !Hex4(text_, pos_ + 2, lo) || lo < 0xdc00 || lo > 0xdfff)
      return Fail("unpaired surrogate");
    pos_ += 6;
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
  } else if (cp >= 0xdc00 && cp < 0xe000) {
    return Fail("unpaired surrogate");
  } else if (cp == 0) {
    return Fail("\\u0000 (a NUL byte) in a string");
  }
  AppendUtf8(out, cp);
  return Status::Ok();
}

Result<std::string> JsonReader::String() {
  if (!Eat('"')) return Fail("expected a string");
  std::string out;
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
    if (c == '\\') {
      ++pos_;
      Status s = Escape(out);
      if (!s.ok()) return s;
      continue;
    }
    // RFC 8259 text is UTF-8; anything else would not survive the writer.
    std::size_t n = Utf8Length(text_, pos_);
    if (n == 0) return Fail("invalid UTF-8 in string");
    out.append(text_.substr(pos_, n));
    pos_ += n;
  }
  return Fail("unterminated string");
}

// Reads a number, true, false or null.
Result<JsonValue> JsonReader::Word() {
  std::size_t start = pos_;
  while (pos_ < text_.size() &&
         text_.substr(pos_, 1).find_first_of(",}] \t\r\n") == std::string_view::npos)
    ++pos_;
  std::string word(text_.substr(start, pos_ - start));
  if (word == "true" || word == "false") return JsonValue{JsonValue::Kind::kBool, word};
  if (word == "null") return JsonValue{JsonValue::Kind::kNull, ""};
  if (!IsJsonNumber(word)) {
    pos_ = start;
    return Fail("expected a value");
  }
  return JsonValue{JsonValue::Kind::kNumber, word};
}

Result<JsonValue> JsonReader::Value() {
  SkipSpace();
  if (pos_ >= text_.size()) return Fail("expected a value");
  if (text_[pos_] == '{' || text_[pos_] == '[') return Fail("nested values are not records");
  if (text_[pos_] != '"') return Word();
  Result<std::string> s = String();
  if (!s.ok()) return s.status();
  return JsonValue{JsonValue::Kind::kString, std::move(*s)};
}

Result<std::vector<std::pair<std::string, JsonValue>>> JsonReader::Object() {
  std::vector<std::pair<std::string, JsonValue>> out;
  if (!Eat('{')) return Fail("expected '{'");
  if (!Eat('}')) {
    do {
      Result<std::string> key = String();
      if (!key.ok()) return key.status();
      if (out.size() == kMaxJsonMembers)
        return Fail("more than " + std::to_string(kMaxJsonMembers) + " members");
      for (const auto& kv : out)
        if (kv.first == *key) return Fail("duplicate key " + *key);
      if (!Eat(':')) return Fail("expected ':'");
      Result<JsonValue> v = Value();
      if (!v.ok()) return v.status();
      out.emplace_back(std::move(*key), std::move(*v));
    } while (Eat(','));
    if (!Eat('}')) return Fail("expected ',' or '}'");
  }
  SkipSpace();
  if (pos_ != text_.size()) return Fail("trailing text");
  return out;
}

}  // namespace

Result<std::vector<std::pair<std::string, JsonValue>>> ParseFlatObject(std::string_view text) {
  return JsonReader(text).Object();
}

}  // namespace rcptdb
