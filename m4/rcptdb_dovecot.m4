# SPDX-License-Identifier: MIT
# rcptdb_dovecot.m4 - find Dovecot's headers and module directory
#
# RCPTDB_DOVECOT reads the dovecot-config file that dovecot-dev installs
# (Debian: /usr/lib/dovecot/dovecot-config) and substitutes:
#   DOVECOT_INCLUDE     -I flags for Dovecot's headers
#   dovecot_moduledir   where Dovecot loads mail plugins from
#   DOVECOT_SERIES      the release series, 2.3 or 2.4, from the
#                       DOVECOT_VERSION_MAJOR/MINOR of the config.h that
#                       dovecot-config's dovecot_pkgincludedir names
# and sets the automake conditional DOVECOT_24 (the plugin's
# version-specific file is dovecot24.c there, dovecot23.c otherwise).
# --with-dovecot=DIR names the directory holding dovecot-config;
# --without-dovecot builds everything but the LMTP plugin.
AC_DEFUN([RCPTDB_DOVECOT], [
  AC_ARG_WITH([dovecot],
    [AS_HELP_STRING([--with-dovecot=DIR],
      [directory with dovecot-config @<:@/usr/lib/dovecot@:>@])],
    [], [with_dovecot=/usr/lib/dovecot])
  have_dovecot=no
  AS_IF([test "x$with_dovecot" != xno], [
    AC_MSG_CHECKING([for dovecot-config in $with_dovecot])
    AS_IF([test -f "$with_dovecot/dovecot-config"], [
      AC_MSG_RESULT([yes])
      # dovecot-config is a shell fragment of plain assignments.
      . "$with_dovecot/dovecot-config"
      DOVECOT_INCLUDE="$LIBDOVECOT_INCLUDE"
      AS_IF([test "x$dovecot_moduledir" = x],
        [dovecot_moduledir="$with_dovecot/modules"])
      # The plugin hooks into the lmtp binary, so its headers must be there.
      AS_IF([test -f "$dovecot_pkgincludedir/lmtp-common.h"],
        [have_dovecot=yes])
      AS_IF([test "x$have_dovecot" = xyes], [
        AC_MSG_CHECKING([for the Dovecot release series])
        dovecot_major=`sed -n 's/^#define DOVECOT_VERSION_MAJOR \([[0-9]]*\)$/\1/p' "$dovecot_pkgincludedir/config.h"`
        dovecot_minor=`sed -n 's/^#define DOVECOT_VERSION_MINOR \([[0-9]]*\)$/\1/p' "$dovecot_pkgincludedir/config.h"`
        DOVECOT_SERIES="$dovecot_major.$dovecot_minor"
        AC_MSG_RESULT([$DOVECOT_SERIES])
        AS_CASE([$DOVECOT_SERIES], [2.3|2.4], [],
          [AC_MSG_ERROR([Dovecot $DOVECOT_SERIES in $with_dovecot: the plugin builds against 2.3 and 2.4 only])])
      ])
    ], [AC_MSG_RESULT([no])])
    AS_IF([test "x$have_dovecot" != xyes && test "x$with_dovecot" != x/usr/lib/dovecot],
      [AC_MSG_ERROR([Dovecot development files not found in $with_dovecot])])
    AS_IF([test "x$have_dovecot" != xyes],
      [AC_MSG_WARN([dovecot-dev not found: the LMTP plugin will not be built])])
  ])
  AC_SUBST([DOVECOT_INCLUDE])
  AC_SUBST([dovecot_moduledir])
  AC_SUBST([DOVECOT_SERIES])
  AM_CONDITIONAL([DOVECOT_24], [test "x$DOVECOT_SERIES" = x2.4])
  AM_CONDITIONAL([HAVE_DOVECOT], [test "x$have_dovecot" = xyes])
])
