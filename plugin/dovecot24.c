// SPDX-License-Identifier: MIT
/* NAME
 *   dovecot24 - the plugin's settings, Dovecot 2.4 style
 * DESCRIPTION
 *   Dovecot 2.4 has no plugin { } section: the plugin declares its setting
 *   (dovecot24_settings.c) and reads it through settings_get() on the
 *   client's event, so that it can also be set per protocol or filter:
 *
 *     protocol lmtp { mail_plugins { rcptdb = yes } }
 *     rcptdb_database = /var/lib/rcptdb/rcptdb.sqlite
 *
 *   recipient_delimiter is in the client's lda settings.
 * SEE ALSO
 *   dovecot_series.h, dovecot23.c, dovecot24_settings.c, rcptdb-plugin(7)
 */
// Dovecot's config.h first, then lib.h (lmtp-common.h brings it), then the
// rest: Dovecot's headers need that order.
// clang-format off
#include "dovecot_config.h"
#include "lmtp-common.h"
#include "lda-settings.h"
#include "lmtp-recipient.h"
#include "smtp-address.h"
#include "smtp-server.h"
#include "settings.h"
#include "dovecot24_settings.h"
#include "dovecot_series.h"
// clang-format on

const char *rcptdb_series_database(struct client *client, const char **error_r) {
  const struct rcptdb_settings *set;
  if (settings_get(client->event, &rcptdb_setting_parser_info, 0, &set, error_r) < 0) return NULL;
  const char *path = t_strdup(set->rcptdb_database);
  settings_free(set);
  return path;
}

const char *rcptdb_series_delimiters(struct client *client) {
  const char *delimiters = client->lda_set->recipient_delimiter;
  return delimiters != NULL ? delimiters : "";
}

void rcptdb_series_path_rewritten(struct lmtp_recipient *lrcpt) {
  /* lmtp's cmd_rcpt split the original path before the plugin ran; its
     userdb lookup uses lrcpt->username, so split the new path alike. */
  struct smtp_server_recipient *rcpt = lrcpt->rcpt;
  smtp_address_detail_parse(rcpt->pool, rcptdb_series_delimiters(lrcpt->client), rcpt->path,
                            &lrcpt->username, &lrcpt->delim, &lrcpt->detail);
}
