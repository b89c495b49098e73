// SPDX-License-Identifier: MIT
/* NAME
 *   dovecot23 - the plugin's settings, Dovecot 2.3 style
 * DESCRIPTION
 *   Dovecot 2.3 hands plugins their settings as the plugin { } section of
 *   the user's settings, and the lda settings before %variable expansion
 *   hold recipient_delimiter:
 *
 *     protocol lmtp { mail_plugins = $mail_plugins rcptdb }
 *     plugin { rcptdb_database = /var/lib/rcptdb/rcptdb.sqlite }
 * SEE ALSO
 *   dovecot_series.h, dovecot24.c, rcptdb-plugin(7)
 */
// Dovecot's config.h first, then lib.h (lmtp-common.h brings it), then the
// rest: Dovecot's headers need that order.
// clang-format off
#include "dovecot_config.h"
#include "lmtp-common.h"
#include "lda-settings.h"
#include "mail-user.h"
#include "dovecot_series.h"
// clang-format on

const char *rcptdb_series_database(struct client *client, const char **error_r ATTR_UNUSED) {
  const char *path = mail_user_set_plugin_getenv(client->user_set, RCPTDB_DATABASE_SETTING);
  return path != NULL ? path : "";
}

const char *rcptdb_series_delimiters(struct client *client) {
  const char *delimiters = client->unexpanded_lda_set->recipient_delimiter;
  return delimiters != NULL ? delimiters : "";
}

void rcptdb_series_path_rewritten(struct lmtp_recipient *lrcpt ATTR_UNUSED) {
  /* client_default_cmd_rcpt() splits the (new) path itself. */
}
