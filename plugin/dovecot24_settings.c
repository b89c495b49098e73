// SPDX-License-Identifier: MIT
/* NAME
 *   dovecot24_settings - the rcptdb_database setting, declared for Dovecot 2.4
 * DESCRIPTION
 *   Dovecot 2.4 accepts only declared settings. This file declares the
 *   plugin's one setting and is built twice: into the plugin, which reads
 *   it with settings_get() (dovecot24.c), and on its own as
 *   librcptdb_settings.so in Dovecot's modules/settings directory, where
 *   the config process finds rcptdb_settings_set_infos and so lets
 *   dovecot.conf say
 *
 *     rcptdb_database = /var/lib/rcptdb/rcptdb.sqlite
 *
 *   The default is empty: the plugin then uses rcptdb's own default path.
 * SEE ALSO
 *   dovecot24_settings.h, dovecot24.c, Dovecot's settings-parser.h
 */
// Dovecot's config.h first, then lib.h (lmtp-common.h brings it), then the
// rest: Dovecot's headers need that order.
// clang-format off
#include "dovecot_config.h"
#include "lib.h"
#include "settings-parser.h"
#include "dovecot24_settings.h"
// clang-format on

#undef DEF
#define DEF(type, name) SETTING_DEFINE_STRUCT_##type(#name, name, struct rcptdb_settings)

static const struct setting_define rcptdb_setting_defines[] = {DEF(STR, rcptdb_database),
                                                               SETTING_DEFINE_LIST_END};

static const struct rcptdb_settings rcptdb_default_settings = {
    .rcptdb_database = "",
};

const struct setting_parser_info rcptdb_setting_parser_info = {
    .name = "rcptdb",
    .defines = rcptdb_setting_defines,
    .defaults = &rcptdb_default_settings,
    .struct_size = sizeof(struct rcptdb_settings),
    .pool_offset1 = 1 + offsetof(struct rcptdb_settings, pool),
};

/* What the config process looks for in librcptdb_settings.so. */
const char *rcptdb_settings_version = DOVECOT_ABI_VERSION;
const struct setting_parser_info *rcptdb_settings_set_infos[] = {&rcptdb_setting_parser_info, NULL};
