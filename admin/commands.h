// SPDX-License-Identifier: MIT
// commands.h - rcptdb's commands: the table and the functions behind it
//
// Each command is one function taking the parsed Cli and returning an
// Outcome (cli.h). The table in commands.cc says which words select it,
// how many arguments and which options it takes, and its usage line; the
// dispatcher checks all of that before the function runs, so a function
// sees only well-formed command lines.
//
// Thread safety: rcptdb is single-threaded.
#ifndef RCPTDB_ADMIN_COMMANDS_H
#define RCPTDB_ADMIN_COMMANDS_H

#include <span>
#include <string>

#include "cli.h"

namespace rcptdb::admin {

// Runs rcptdb with args (argv without the program name); returns the exit status.
int Main(std::span<const std::string> args);

// cmd_database.cc
Outcome Init(Cli& cli);
Outcome Migrate(Cli& cli);
Outcome Backup(Cli& cli);
Outcome ConfigSet(Cli& cli);
Outcome ConfigGet(Cli& cli);
Outcome ConfigList(Cli& cli);

// cmd_domain.cc
Outcome DomainAdd(Cli& cli);
Outcome DomainDel(Cli& cli);
Outcome DomainShow(Cli& cli);
Outcome DomainEnable(Cli& cli);
Outcome DomainDisable(Cli& cli);
Outcome DomainList(Cli& cli);
Outcome DomainSet(Cli& cli);

// cmd_mailbox.cc, cmd_mailbox_edit.cc
Outcome MailboxAdd(Cli& cli);
Outcome MailboxDel(Cli& cli);
Outcome MailboxShow(Cli& cli);
Outcome MailboxList(Cli& cli);
Outcome MailboxEnable(Cli& cli);
Outcome MailboxDisable(Cli& cli);
Outcome MailboxPasswd(Cli& cli);
Outcome MailboxQuota(Cli& cli);
Outcome MailboxSet(Cli& cli);

// cmd_alias.cc
Outcome AliasAdd(Cli& cli);
Outcome AliasDel(Cli& cli);
Outcome AliasList(Cli& cli);
Outcome AliasEnable(Cli& cli);
Outcome AliasDisable(Cli& cli);
Outcome CatchallSet(Cli& cli);
Outcome CatchallUnset(Cli& cli);

// cmd_relay_sender.cc
Outcome RelayRecipientAdd(Cli& cli);
Outcome RelayRecipientDel(Cli& cli);
Outcome RelayRecipientList(Cli& cli);
Outcome SenderAllow(Cli& cli);
Outcome SenderDeny(Cli& cli);
Outcome SenderDel(Cli& cli);
Outcome SenderList(Cli& cli);

// cmd_admin_token.cc
Outcome AdminAdd(Cli& cli);
Outcome AdminDel(Cli& cli);
Outcome AdminList(Cli& cli);
Outcome AdminPasswd(Cli& cli);
Outcome AdminEnable(Cli& cli);
Outcome AdminDisable(Cli& cli);
Outcome TokenCreate(Cli& cli);
Outcome TokenList(Cli& cli);
Outcome TokenRevoke(Cli& cli);
Outcome AuditList(Cli& cli);

// cmd_check.cc
Outcome Check(Cli& cli);

// cmd_import.cc, cmd_export.cc
Outcome Import(Cli& cli);
Outcome Export(Cli& cli);

// cmd_adopt.cc, cmd_adopt_postfixadmin.cc, cmd_compare.cc
Outcome AdoptPostfix(Cli& cli);
Outcome AdoptPostfixAdmin(Cli& cli);
Outcome Compare(Cli& cli);

// cmd_setup_config.cc
Outcome PostfixConfig(Cli& cli);
Outcome DovecotConfig(Cli& cli);

// cmd_top.cc
Outcome Top(Cli& cli);

}  // namespace rcptdb::admin

#endif
