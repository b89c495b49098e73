// SPDX-License-Identifier: MIT
/* dovecot_series.h - what the plugin asks Dovecot, the same way in 2.3 and 2.4
 *
 * Dovecot 2.4 replaced the settings system a plugin reads its settings
 * through and renamed fields of the lmtp client. Everything the plugin
 * needs that differs between the two series is behind these two calls;
 * configure compiles exactly one implementation: dovecot23.c or
 * dovecot24.c. rcptdb-plugin.cc holds the rest, shared by both.
 *
 * C, because Dovecot's settings macros are C (they use
 * __builtin_types_compatible_p, which C++ lacks). Include after Dovecot's
 * lmtp-common.h.
 *
 * Thread safety: Dovecot's lmtp processes are single-threaded.
 */
#ifndef RCPTDB_PLUGIN_DOVECOT_SERIES_H
#define RCPTDB_PLUGIN_DOVECOT_SERIES_H

#ifdef __cplusplus
extern "C" {
#endif

struct client;
struct lmtp_recipient;

/* The name of the plugin's one setting, in both series. */
#define RCPTDB_DATABASE_SETTING "rcptdb_database"

/* Returns client's rcptdb_database setting, "" if it is unset, or NULL
   with *error_r set if the settings cannot be read. The string is on
   Dovecot's data stack: copy it before the current frame ends. */
const char *rcptdb_series_database(struct client *client, const char **error_r);

/* Returns client's recipient_delimiter setting, never NULL. */
const char *rcptdb_series_delimiters(struct client *client);

/* Tells Dovecot that the plugin has replaced lrcpt->rcpt->path, before
   Dovecot's own RCPT handling runs. Dovecot 2.4 splits the path into user
   name and detail before the plugin sees the recipient, so they are split
   again from the new path; 2.3 splits later and needs nothing. */
void rcptdb_series_path_rewritten(struct lmtp_recipient *lrcpt);

#ifdef __cplusplus
}
#endif

#endif
