#!/bin/sh
# ringside postremove (deb postrm: "remove", "purge", "upgrade" …; rpm
# %postun: 0 on erase, 1 on upgrade). dpkg itself removes the conffile and
# /etc/ringside on purge.
set -e

case "$1" in
  remove|purge|0)
    if [ -d /run/systemd/system ]; then
      systemctl daemon-reload || true
    fi
    ;;
esac

# Purge also forgets the node's persisted desire (data_dir). The ringside
# user and the cassandra group stay, as Debian leaves system users: files
# may still be owned by them.
if [ "$1" = purge ]; then
  rm -rf /var/lib/ringside
fi
exit 0
