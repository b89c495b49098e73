// SPDX-License-Identifier: MIT
// NAME
//   static_files - index.html and /static/NAME from static_dir
// SEE ALSO
//   static_files.h, web/static/
#include "static_files.h"

#include "config_syntax.h"

namespace rcptdb::web {
namespace {

bool PlainFileName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

Reply FileReply(const std::string& dir, const std::string& name) {
  std::string type = StaticContentType(name);
  if (!PlainFileName(name) || type.empty()) return NotFound("no such file");
  std::string body;
  if (ReadConfigFile(dir + "/" + name, body) != 0) return NotFound("no such file");
  HttpResponse r;
  r.content_type = type;
  r.body = std::move(body);
  r.Header("Content-Security-Policy", kPagePolicy);
  r.Header("Referrer-Policy", "no-referrer");
  r.Header("Cache-Control", "no-cache");
  return r;
}

}  // namespace

std::string StaticContentType(std::string_view name) {
  auto ends = [name](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/vnd.microsoft.icon";
  return "";
}

std::optional<Reply> ServeStatic(const std::string& dir, const std::vector<std::string>& segments) {
  if (segments.empty()) return FileReply(dir, "index.html");
  if (segments.size() == 2 && segments[0] == "static") return FileReply(dir, segments[1]);
  if (segments.size() == 1 && segments[0] == "favicon.ico") return FileReply(dir, "favicon.ico");
  return std::nullopt;
}

}  // namespace rcptdb::web
