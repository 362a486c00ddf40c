#!/bin/sh
# ringside preremove (deb prerm: "remove", "upgrade" …; rpm %preun: 0 on
# erase, 1 on upgrade). On removal only: stop the unit where systemd runs and
# disable it everywhere, so no enablement symlink is left behind.
set -e

case "$1" in
  remove|0) ;;
  *) exit 0 ;; # an upgrade keeps the unit running; postinstall restarts it
esac

if [ -d /run/systemd/system ]; then
  systemctl stop ringside.service || true
fi
# systemctl disable edits the unit links without a running systemd too.
if command -v systemctl >/dev/null; then
  systemctl disable --quiet ringside.service 2>/dev/null || true
fi
exit 0
