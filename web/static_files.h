// SPDX-License-Identifier: MIT
// static_files.h - the web page's files, served beside the API
//
// rcptdb-web serves one small application (issue 23): plain HTML, CSS and
// JavaScript from static_dir (installed with the package; no build step,
// nothing from another site). GET / answers index.html; GET /static/NAME
// answers the file NAME: one path segment of letters, digits, '.', '_'
// and '-', not starting with '.', with a known type, read from static_dir
// and nowhere else. Every answer carries the page's security headers:
// a Content-Security-Policy that allows only the page's own files (no
// inline script or style, no frames around it), nosniff, and no referrer.
//
// Thread safety: pure functions (ServeStatic reads a file).
#ifndef RCPTDB_WEB_STATIC_FILES_H
#define RCPTDB_WEB_STATIC_FILES_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_message.h"
#include "problem.h"

namespace rcptdb::web {

// The security headers of every static answer (and, stricter, the API's).
inline constexpr const char* kPagePolicy =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
inline constexpr const char* kApiPolicy = "default-src 'none'; frame-ancestors 'none'";

// Returns the answer for a GET of the static path segments (decoded), or
// nullopt if the path is not one of the page's (the API's then).
std::optional<Reply> ServeStatic(const std::string& dir, const std::vector<std::string>& segments);

// Returns the Content-Type of a file name by its extension; "" if unknown.
std::string StaticContentType(std::string_view name);

}  // namespace rcptdb::web

#endif
