// SPDX-License-Identifier: MIT
// setup_config.h - Postfix and Dovecot settings for one rcptdb setup
//
// `rcptdb postfix-config` and `rcptdb dovecot-config` print the examples
// in doc/examples/ (and, for Dovecot 2.3, sql/dovecot-sql.conf.ext) with
// this setup's
// values in place of the examples' own. The examples are the tested
// configuration (tests/blackbox runs Postfix and Dovecot with them), so
// they are compiled in at build time instead of being written a second
// time here; each value the examples document is replaced where it
// stands, and a placeholder that has gone missing from an example is an
// error, never a silently unchanged default.
//
// Every value is checked before it is written into a configuration file:
// a space, a quote or a '#' would be read by Postfix or Dovecot as
// something other than what the admin typed.
//
// Thread safety: pure functions and plain values.
#ifndef RCPTDB_ADMIN_SETUP_CONFIG_H
#define RCPTDB_ADMIN_SETUP_CONFIG_H

#include <optional>
#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb::admin {

// A TCP endpoint: HOST:PORT, or [IPV6]:PORT.
struct HostPort {
  std::string host;  // an IPv6 address without its brackets
  std::string port;

  // Returns host:port, an IPv6 address in brackets (Postfix's inet: form).
  std::string str() const;
};

// Reads text as HOST:PORT or [IPV6]:PORT, port 1 to 65535. Invalid naming
// option and text otherwise.
Result<HostPort> ParseHostPort(std::string_view option, std::string_view text);

// Postfix's default queue_directory. Every Postfix daemon runs in its
// queue directory: chrooted services (Debian's smtpd, cleanup,
// trivial-rewrite) have it as their root, the others as their working
// directory.
constexpr std::string_view kPostfixQueueDirectory = "/var/spool/postfix";

// Where Postfix reaches rcptdb-server's socketmap listener: a unix socket
// (the default, rcptdb.conf(5)'s recommended listener on the same host) or
// TCP (for a Postfix on another host).
struct SocketmapServer {
  // empty: TCP at inet
  std::string unix_path = std::string(kPostfixQueueDirectory) + "/rcptdb/socketmap";
  HostPort inet;
  std::string queue_directory{kPostfixQueueDirectory};  // Postfix's queue_directory

  // Returns the socket's path relative to queue_directory if it lies
  // below it (e.g. "rcptdb/socketmap"); empty otherwise, and for TCP.
  std::string QueueRelativePath() const;
  // Returns what main.cf writes before each map's name:
  //   - a unix socket below Postfix's queue directory, directly by its
  //     relative path, "socketmap:unix:rcptdb/socketmap:": each daemon,
  //     chrooted or not, finds it from where it runs, and no proxymap
  //     stands between smtpd and rcptdb-server;
  //   - any other unix socket through proxymap,
  //     "proxy:socketmap:unix:PATH:" (chrooted Postfix services cannot
  //     reach it themselves);
  //   - TCP, "socketmap:inet:HOST:PORT:".
  std::string MapPrefix() const;
  // Returns the listener as rcptdb.conf's socketmap setting spells it:
  // "unix:PATH" or "HOST:PORT".
  std::string Listener() const;
};

// Reads unix:PATH (an absolute path as CheckConfigPath allows, short
// enough for a unix socket) or HOST:PORT as ParseHostPort reads it.
// Invalid naming option and text otherwise.
Result<SocketmapServer> ParseSocketmapServer(std::string_view option, std::string_view text);

// The Dovecot release series a configuration is written for: 2.4 changed
// the configuration syntax (settings, mail_plugins, the sql passdb/userdb).
enum class DovecotSeries { k23, k24 };

// Reads "2.3" or "2.4", or the first word of `dovecot --version`
// ("2.4.1 (7d8c0e5759)", "2.3.19.1 (9b53102964)"). Invalid naming option
// and text for anything else, including a series rcptdb does not know.
Result<DovecotSeries> ParseDovecotVersion(std::string_view option, std::string_view text);

// Ok iff path is absolute and made only of letters, digits and "/._-+=@~:",
// which Postfix and Dovecot both read as written. Invalid naming option.
Status CheckConfigPath(std::string_view option, std::string_view path);

// The values that differ from one setup to the next. The defaults are the
// examples' own values.
struct MailSetup {
  SocketmapServer server;            // rcptdb-server's socketmap listener
  HostPort lmtp{"127.0.0.1", "24"};  // Dovecot's LMTP listener
  std::string database = "/var/lib/rcptdb/rcptdb.sqlite";
  std::string header_checks = "/etc/postfix/rcptdb-header-checks.regexp";
  std::string delimiter = "+";  // the database's recipient delimiter set
  bool verify = false;          // Postfix: address verification variant
  // The quota policy service (rcptdb-server(8), POLICY SERVICE): Postfix
  // asks rcptdb-server's policy listener, which asks Dovecot's quota-status.
  std::optional<HostPort> policy;        // postfix-config --policy
  std::optional<HostPort> quota_status;  // dovecot-config --quota-status
  DovecotSeries dovecot = DovecotSeries::k23;
};

// Returns the main.cf settings (postfix-main.cf, or postfix-main-verify.cf
// if setup.verify; with setup.policy, the recipient restrictions of
// postfix-policy.cf in place of postfix-main.cf's) followed by the header_checks table as a comment
// block of "#| " lines, so that the whole text is valid main.cf.
Result<std::string> RenderPostfixConfig(const MailSetup& setup);

// Returns the conf.d snippet for setup.dovecot (then dovecot-quota.conf if
// setup.quota_status). Dovecot 2.3: the snippet (dovecot-rcptdb.conf)
// followed by dovecot-sql.conf.ext as a comment block of "#| " lines, so
// that the whole text can be included into dovecot.conf. Dovecot 2.4:
// dovecot-2.4-rcptdb.conf, which holds its sql passdb and userdb itself.
Result<std::string> RenderDovecotConfig(const MailSetup& setup);

}  // namespace rcptdb::admin

#endif
