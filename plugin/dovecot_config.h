// SPDX-License-Identifier: MIT
/* dovecot_config.h - Dovecot's config.h, before any other Dovecot header
 *
 * Dovecot's headers test the HAVE_* macros its config.h defines against
 * what the system headers declare, so it comes first. Our build passes
 * PACKAGE* on the command line; Dovecot's config.h defines its own, which
 * nothing in the plugin uses.
 */
#ifndef RCPTDB_PLUGIN_DOVECOT_CONFIG_H
#define RCPTDB_PLUGIN_DOVECOT_CONFIG_H

#undef PACKAGE
#undef PACKAGE_BUGREPORT
#undef PACKAGE_NAME
#undef PACKAGE_STRING
#undef PACKAGE_TARNAME
#undef PACKAGE_URL
#undef PACKAGE_VERSION
#undef VERSION
#include "config.h"

#endif
