// SPDX-License-Identifier: MIT
// NAME
//   actor - who makes a change, from where, in which request
// DESCRIPTION
//   The command line's actor comes from SUDO_USER, which sudo sets to the
//   invoking user: "unix:root" for every change an admin makes through
//   sudo would say nothing. The variable is only as trustworthy as the
//   person running rcptdb as root, who can write the database directly
//   anyway; it names, it does not authenticate.
// SEE ALSO
//   actor.h, sql/schema.sql (audit_log)
#include "actor.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace rcptdb {
namespace {

bool PlainWord(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c <= ' ' || c > '~') return false;
  return true;
}

}  // namespace

bool IsActorName(std::string_view who) {
  for (std::string_view kind : {"admin:", "token:", "mailbox:", "unix:", "sql:"})
    if (who.starts_with(kind) && who.size() > kind.size()) return PlainWord(who, 300);
  return false;
}

Actor Actor::ForUnixUser() {
  const char* sudo = std::getenv("SUDO_USER");
  if (sudo != nullptr && PlainWord(sudo, 64)) return {std::string("unix:") + sudo, "", ""};
  uid_t uid = ::getuid();
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr &&
      PlainWord(found->pw_name, 64))
    return {std::string("unix:") + found->pw_name, "", ""};
  return {"unix:" + std::to_string(uid), "", ""};
}

Actor Actor::ForAdmin(std::string_view login, std::string client, std::string request_id) {
  return {"admin:" + std::string(login), std::move(client), std::move(request_id)};
}

Actor Actor::ForToken(std::string_view prefix, std::string client, std::string request_id) {
  return {"token:" + std::string(prefix), std::move(client), std::move(request_id)};
}

Actor Actor::ForMailbox(std::string_view address, std::string client, std::string request_id) {
  return {"mailbox:" + std::string(address), std::move(client), std::move(request_id)};
}

}  // namespace rcptdb
