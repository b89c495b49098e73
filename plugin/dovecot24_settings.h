// SPDX-License-Identifier: MIT
/* dovecot24_settings.h - the plugin's settings struct, Dovecot 2.4
 *
 * Read with settings_get(event, &rcptdb_setting_parser_info, ...) and
 * released with settings_free().
 */
#ifndef RCPTDB_PLUGIN_DOVECOT24_SETTINGS_H
#define RCPTDB_PLUGIN_DOVECOT24_SETTINGS_H

struct rcptdb_settings {
  pool_t pool;
  const char *rcptdb_database;
};

extern const struct setting_parser_info rcptdb_setting_parser_info;

/* Exported for Dovecot's config process (module name "rcptdb_settings"). */
extern const char *rcptdb_settings_version;
extern const struct setting_parser_info *rcptdb_settings_set_infos[];

#endif
