#!/bin/sh
# ringside postinstall (deb postinst: "configure" [old-version]; rpm %post:
# 1 on install, 2 on upgrade). Creates the service user, hands the config to
# it, and never starts a unit that has not been configured yet.
set -e

case "$1" in
  configure|1|2) ;;
  *) exit 0 ;; # abort-upgrade, abort-remove, …: nothing to redo
esac

# The group Cassandra's own packages use and create only if it is absent
# (its postinst: addgroup --system cassandra), so the two install in any order.
if ! getent group cassandra >/dev/null; then
  if command -v addgroup >/dev/null; then
    addgroup --system --quiet cassandra
  else
    groupadd --system cassandra
  fi
fi

# ringside runs as its own user, in group cassandra: it reads the node's
# files (cassandra.yaml, the data directories, the pid file) without owning
# or writing them.
if ! getent passwd ringside >/dev/null; then
  if command -v adduser >/dev/null; then
    adduser --system --quiet --ingroup cassandra --home /var/lib/ringside \
      --no-create-home --disabled-login --disabled-password \
      --gecos "ringside sidecar" ringside
  else
    useradd --system --gid cassandra --home-dir /var/lib/ringside \
      --no-create-home --shell /sbin/nologin --comment "ringside sidecar" ringside
  fi
fi

# Readable by the service, not by everyone: it may hold cassandra.password.
# A dpkg-statoverride set by the administrator wins.
conf=/etc/ringside/ringside.yaml
if [ -f "$conf" ] && ! { command -v dpkg-statoverride >/dev/null &&
  dpkg-statoverride --list "$conf" >/dev/null 2>&1; }; then
  chown root:cassandra "$conf"
  chmod 0640 "$conf"
fi

# Only where systemd runs (not in a container or a chroot).
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  case "$1" in
    configure) upgrade=$2 ;;
    2) upgrade=yes ;;
    *) upgrade= ;;
  esac
  if [ -n "$upgrade" ]; then
    # An upgrade restarts a running sidecar on the new binary.
    systemctl try-restart ringside.service || true
  fi
fi

if [ "$1" = configure ] && [ -z "$2" ] || [ "$1" = 1 ]; then
  echo "ringside: edit /etc/ringside/ringside.yaml, then: systemctl enable --now ringside"
fi
exit 0
