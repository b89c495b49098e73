# SPDX-License-Identifier: MIT
# common.sh - shared by scripts/check and scripts/demo (sourced, not run)
#
# ensure_packages installs what the build and the tests need, once, without
# questions, and without letting the packages start the system's own Postfix
# or Dovecot: rcptdb's tests and demo run private instances only.

RCPTDB_PACKAGES="g++ make autoconf automake libtool pkg-config
  libsqlite3-dev sqlite3 libidn2-dev libfmt-dev libgtest-dev
  libasio-dev libcli11-dev libcrypt-dev nlohmann-json3-dev libmicrohttpd-dev libsodium-dev
  dovecot-dev dovecot-core dovecot-lmtpd dovecot-sqlite
  postgresql libpq-dev dovecot-pgsql postfix-pgsql
  mariadb-server libmariadb-dev postfix-mysql
  postfix swaks python3 groff-base strace clang-14 clang-format-14 libclang-rt-14-dev libfuzzer-14-dev
  dpkg-dev debhelper dh-exec fakeroot lintian adduser systemd python3-seccomp
  nginx chromium chromium-driver python3-selenium
  libcurl4-gnutls-dev prometheus tmux debootstrap"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 1; }

# Prints the packages of RCPTDB_PACKAGES that are not installed.
missing_packages() {
  local p missing=""
  for p in $RCPTDB_PACKAGES; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
      missing="$missing $p"
  done
  printf '%s' "$missing"
}

ensure_packages() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root to install them)"
  log "installing:$missing"
  # Postfix: no configuration, so the system instance is neither set up
  # nor started. Services: refuse starts while we install.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  local own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local rc=0
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || die "apt-get install failed ($rc)"
  missing=$(missing_packages)
  [ -z "$missing" ] || die "still missing after install:$missing"
}


# Builds in the source tree (configure only once, or when asked).
build() {
  local top=$1
  shift
  cd "$top" || die "cannot enter $top"
  if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; die "autoreconf failed"; }
  fi
  if [ ! -f Makefile ] || [ configure -nt config.status ]; then
    ./configure --enable-werror --enable-test-faults "$@" >/dev/null || die "configure failed (see config.log)"
  fi
  make -j"$(nproc)" >/dev/null || { make 2>&1 | tail -30; die "build failed"; }
}
