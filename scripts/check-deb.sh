#!/usr/bin/env bash
# Checks the ringside packages end to end (docs/packaging.md): the .deb's
# control fields and contents, dpkg -i, the installed unit
# (systemd-analyze verify), the binary's version, the shipped config
# (serve --check, as the service user), the service user and group, the
# polkit rule and the agents snippet, a reinstall keeping a changed conffile,
# then dpkg -r and dpkg -P leaving nothing behind; the .rpm's fields,
# contents and scriptlets (run by rpm -i/-e); postinstall with useradd only.
#
#   scripts/check-deb.sh                 # builds both with scripts/package-deb.sh first
#   scripts/check-deb.sh X.deb [X.rpm]
#
# Run as root on a machine or container you can spare (CI's): it installs
# and purges the package, and installs Debian's systemd and rpm packages
# when systemd-analyze or rpm is missing. It puts back what it changed (the
# ringside user, a cassandra group it saw created), so it can run again.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; echo "packaging: $passed passed, 1 failed"; exit 1; }
# has FILE REGEX: FILE (a captured output) has a line matching REGEX.
has() { grep -Eq -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "no line matching $2"; }; }

[ "$(id -u)" = 0 ] || { echo "check-deb.sh: run as root (it installs the package)" >&2; exit 2; }
command -v dpkg >/dev/null || { echo "check-deb.sh: needs dpkg (a Debian machine)" >&2; exit 2; }

tmp=$(mktemp -d)
apt_updated=
apt_install() { # a Debian package, updating the lists once if needed
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$tmp/apt.log" 2>&1 && return
  if [ -z "$apt_updated" ]; then
    apt_updated=1
    apt-get update -qq >"$tmp/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$tmp/apt.log" 2>&1 && return
  fi
  cat "$tmp/apt.log" >&2; fail "apt-get install $*"
}

deb=${1:-}
rpm_pkg=${2:-}
if [ -z "$deb" ]; then
  scripts/package-deb.sh "$tmp/dist" >"$tmp/built"
  deb=$(grep '\.deb$' "$tmp/built")
  rpm_pkg=$(grep '\.rpm$' "$tmp/built" || true)
fi
[ -f "$deb" ] || fail "no .deb at $deb"
echo "checking $deb${rpm_pkg:+ and $rpm_pkg}"

# Put the machine back as found, also after a failure.
group_existed=
getent group cassandra >/dev/null && group_existed=1
# Deletes the ringside user postinstall made (its gecos) and a cassandra
# group that was not there before this run, so postinstall creates them anew.
forget_user() {
  case "$(getent passwd ringside || true)" in *':ringside sidecar:'* | *':ringside sidecar,,,:'*) userdel ringside ;; esac
  if [ -z "$group_existed" ] && getent group cassandra >/dev/null && ! getent passwd cassandra >/dev/null; then
    groupdel cassandra
  fi
}
deb_present() { # installed, or removed with its config files left
  case "$(dpkg-query -W -f='${Status}' ringside 2>/dev/null || true)" in "" | *not-installed*) return 1 ;; esac
}
restore() {
  if deb_present; then dpkg -P ringside >/dev/null 2>&1 || true; fi
  if command -v rpm >/dev/null && rpm -q ringside >/dev/null 2>&1; then rpm -e ringside >/dev/null 2>&1 || true; fi
  forget_user # ours only (postinstall's gecos): a ringside user someone else made stays
  rm -rf "$tmp"
}
# A run cut short may have left the package or our user: start clean.
if deb_present; then
  echo "purging a ringside package left installed"; dpkg -P ringside >/dev/null
fi
if command -v rpm >/dev/null && rpm -q ringside >/dev/null 2>&1; then
  echo "erasing a ringside rpm left installed"; rpm -e ringside >/dev/null 2>&1
fi
forget_user
trap restore EXIT

# --- the .deb, before installing -------------------------------------------
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -I "$deb" >"$tmp/info"
has "$tmp/info" '^ Package: ringside$'
has "$tmp/info" "^ Version: [0-9]"
has "$tmp/info" "^ Architecture: $(dpkg --print-architecture)\$"
has "$tmp/info" '^ Depends: .*adduser'
has "$tmp/info" '^ Description: management sidecar for Apache Cassandra'
for script in postinst prerm postrm conffiles; do has "$tmp/info" " $script( |$)"; done
dpkg-deb -I "$deb" conffiles >"$tmp/conffiles"
has "$tmp/conffiles" '^/etc/ringside/ringside.yaml$'
case "$deb" in *"_${version}_"*) ;; *) fail "file name $deb does not carry version $version" ;; esac
ok "dpkg-deb -I: ringside $version, $(dpkg --print-architecture), maintainer scripts, conffile /etc/ringside/ringside.yaml"

dpkg-deb -c "$deb" >"$tmp/contents"
for want in \
  '^-rwxr-xr-x root/root .* \./usr/bin/ringside$' \
  '^-rw-r----- root/root .* \./etc/ringside/ringside\.yaml$' \
  '^-rw-r--r-- root/root .* \./usr/lib/systemd/system/ringside\.service$' \
  '^-rw-r--r-- root/root .* \./usr/share/polkit-1/rules\.d/50-ringside\.rules$' \
  '^-rw-r--r-- root/root .* \./usr/share/doc/ringside/cassandra-env-agents\.sh$' \
  '^-rw-r--r-- root/root .* \./usr/share/doc/ringside/packaging\.md$' \
  '^drwxr-xr-x root/root .* \./etc/ringside/$'; do
  has "$tmp/contents" "$want"
done
ok "dpkg-deb -c: binary, conffile (0640), unit, polkit rule, docs"

# --- install ----------------------------------------------------------------
dpkg -i "$deb" >"$tmp/dpkg-i" 2>&1 || { cat "$tmp/dpkg-i" >&2; fail "dpkg -i"; }
dpkg-query -W -f='${Status} ${Version}\n' ringside >"$tmp/status"
has "$tmp/status" "^install ok installed ${version}\$"
dpkg -L ringside >"$tmp/files"
ok "dpkg -i: installed ok, $(wc -l <"$tmp/files") paths"

getent passwd ringside >"$tmp/passwd" || fail "no user ringside after install"
has "$tmp/passwd" '^ringside:[^:]*:[0-9]+:[0-9]+:ringside sidecar,*:/var/lib/ringside:/usr/sbin/nologin$'
[ "$(id -gn ringside)" = cassandra ] || fail "ringside's group is $(id -gn ringside), want cassandra"
uid=$(id -u ringside)
[ "$uid" -lt 1000 ] || fail "ringside is not a system user (uid $uid)"
[ "$(stat -c '%U:%G %a' /etc/ringside/ringside.yaml)" = "root:cassandra 640" ] ||
  fail "/etc/ringside/ringside.yaml is $(stat -c '%U:%G %a' /etc/ringside/ringside.yaml), want root:cassandra 640"
ok "user ringside (system, uid $uid, group cassandra, nologin); ringside.yaml root:cassandra 0640"

# --- the unit ---------------------------------------------------------------
command -v systemd-analyze >/dev/null || apt_install systemd
unit=/usr/lib/systemd/system/ringside.service
has "$unit" '^ExecStart=/usr/bin/ringside serve --config /etc/ringside/ringside\.yaml$'
has "$unit" '^User=ringside$'
has "$unit" '^Group=cassandra$'
# No flag needed in a container: verify loads the unit and its dependencies
# from disk and checks ExecStart's binary, without asking a running systemd.
# --man=no: no man pages to look up (Documentation= is a URL).
systemd-analyze verify --man=no "$unit" >"$tmp/verify" 2>&1 || { cat "$tmp/verify" >&2; fail "systemd-analyze verify $unit"; }
if [ -s "$tmp/verify" ]; then cat "$tmp/verify" >&2; fail "systemd-analyze verify printed warnings"; fi
# ... and it does catch a broken unit here, so its silence means something.
sed -e 's|^ExecStart=/usr/bin/ringside|ExecStart=/usr/bin/ringside-missing|' \
  -e 's|^Restart=on-failure|Restart=sometimes|' "$unit" >"$tmp/ringside.service"
if systemd-analyze verify --man=no "$tmp/ringside.service" >"$tmp/verify-bad" 2>&1; then
  cat "$tmp/verify-bad" >&2; fail "systemd-analyze verify passed a unit with a missing binary"
fi
has "$tmp/verify-bad" 'ringside-missing'
has "$tmp/verify-bad" 'restart specifier.*sometimes'
ok "systemd-analyze verify: installed unit clean (User=ringside, /usr/bin/ringside); a broken copy is rejected"

# --- the binary and its config ----------------------------------------------
[ "$(/usr/bin/ringside version)" = "ringside $version" ] ||
  fail "ringside version printed '$(/usr/bin/ringside version)', want 'ringside $version'"
ok "/usr/bin/ringside version: ringside $version"

# As the unit runs it: its user and group, a clean environment.
env -i PATH=/usr/bin:/bin setpriv --reuid=ringside --regid=cassandra --init-groups \
  /usr/bin/ringside serve --config /etc/ringside/ringside.yaml --check >"$tmp/check" 2>&1 ||
  { cat "$tmp/check" >&2; fail "ringside serve --check as user ringside"; }
has "$tmp/check" '^configuration OK$'
# --check reads the file: a bad key there fails it.
cp /etc/ringside/ringside.yaml "$tmp/bad.yaml"
echo "listen_adress: :5000" >>"$tmp/bad.yaml"
if env -i PATH=/usr/bin:/bin /usr/bin/ringside serve --config "$tmp/bad.yaml" --check >"$tmp/check-bad" 2>&1; then
  fail "serve --check accepted an unknown key"
fi
has "$tmp/check-bad" 'listen_adress: unknown key'
ok "ringside serve --config /etc/ringside/ringside.yaml --check as ringside:cassandra: configuration OK (a typo'd copy fails)"

# --- polkit rule and agents snippet ------------------------------------------
rules=/usr/share/polkit-1/rules.d/50-ringside.rules
if command -v node >/dev/null; then
  # polkitd's engine is not at hand without a running polkitd: evaluate the
  # rule in node with the same polkit.addRule/action.lookup interface.
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const src = require("fs").readFileSync(process.argv[1], "utf8");
    const rules = [];
    const polkit = { Result: { YES: "yes" }, addRule: f => rules.push(f) };
    new Function("polkit", src)(polkit);
    const ask = (user, unit, verb, id = "org.freedesktop.systemd1.manage-units") =>
      rules.map(r => r({ id, lookup: k => ({ unit, verb })[k] }, { user })).find(x => x) || "no";
    const cases = [
      ["ringside", "cassandra.service", "stop", "yes"], ["ringside", "cassandra.service", "start", "yes"],
      ["cassandra", "cassandra.service", "restart", "yes"], ["ringside", "ssh.service", "stop", "no"],
      ["ringside", "cassandra.service", "enable", "no"], ["nobody", "cassandra.service", "stop", "no"]];
    for (const [u, n, v, want] of cases) {
      const got = ask(u, n, v);
      if (got !== want) { console.error(`${u} ${v} ${n}: ${got}, want ${want}`); process.exit(1); }
    }
    if (ask("ringside", "cassandra.service", "stop", "org.freedesktop.login1.reboot") !== "no") process.exit(1);
  ' "$rules" || fail "polkit rule $rules"
  ok "polkit rule: ringside/cassandra may start/stop/restart cassandra.service, nothing else"
else
  echo "skip polkit rule evaluation: no node"
fi

home="$tmp/cassandra-home"
mkdir -p "$home/agents"
: >"$home/agents/jolokia.jar"
echo 'host=127.0.0.1,port=8778,discoveryEnabled=false' >"$home/agents/jolokia.options"
# shellcheck disable=SC2016 # expanded by the inner sh
opts=$(CASSANDRA_HOME="$home" JVM_OPTS=-Xss256k sh -c '. /usr/share/doc/ringside/cassandra-env-agents.sh; echo "$JVM_OPTS"')
[ "$opts" = "-Xss256k -javaagent:$home/agents/jolokia.jar=host=127.0.0.1,port=8778,discoveryEnabled=false" ] ||
  fail "cassandra-env-agents.sh gave JVM_OPTS '$opts'"
ok "cassandra-env-agents.sh: agents/jolokia.jar + .options -> -javaagent:…=host=127.0.0.1,port=8778,…"

# --- reinstall keeps a changed conffile; enablement ---------------------------
echo "# changed by check-deb.sh" >>/etc/ringside/ringside.yaml
dpkg -i "$deb" >"$tmp/dpkg-i2" 2>&1 || { cat "$tmp/dpkg-i2" >&2; fail "dpkg -i (again)"; }
has /etc/ringside/ringside.yaml '^# changed by check-deb\.sh$'
[ "$(stat -c '%U:%G %a' /etc/ringside/ringside.yaml)" = "root:cassandra 640" ] || fail "reinstall changed ringside.yaml's owner or mode"
ok "dpkg -i again: the changed /etc/ringside/ringside.yaml is kept, still root:cassandra 0640"

wants=/etc/systemd/system/multi-user.target.wants/ringside.service
enabled=
if command -v systemctl >/dev/null; then
  systemctl enable ringside.service >/dev/null 2>&1 && [ -L "$wants" ] && enabled=1
fi

# --- remove, then purge -----------------------------------------------------
mkdir -p /var/lib/ringside && echo '{}' >/var/lib/ringside/desire.json # as StateDirectory= would hold it
chown ringside:cassandra /var/lib/ringside
dpkg -r ringside >"$tmp/dpkg-r" 2>&1 || { cat "$tmp/dpkg-r" >&2; fail "dpkg -r"; }
dpkg-query -W -f='${Status}\n' ringside >"$tmp/status"
has "$tmp/status" '^deinstall ok config-files$'
for f in /usr/bin/ringside "$unit" "$rules" /usr/share/doc/ringside; do
  [ ! -e "$f" ] || fail "$f is left after dpkg -r"
done
[ -z "$enabled" ] || [ ! -L "$wants" ] || fail "dpkg -r left $wants"
[ -f /etc/ringside/ringside.yaml ] || fail "dpkg -r removed the conffile (only purge should)"
ok "dpkg -r: binary, unit, rule, docs gone${enabled:+, unit disabled}; conffile kept (config-files)"

dpkg -P ringside >"$tmp/dpkg-p" 2>&1 || { cat "$tmp/dpkg-p" >&2; fail "dpkg -P"; }
if dpkg-query -W -f='${Status}\n' ringside >"$tmp/status" 2>/dev/null; then
  grep -q 'not-installed' "$tmp/status" || fail "dpkg still knows ringside after purge: $(cat "$tmp/status")"
fi
for d in /etc/ringside /var/lib/ringside; do [ ! -e "$d" ] || fail "$d is left after dpkg -P"; done
while read -r f; do
  if [ -e "$f" ] && [ ! -d "$f" ]; then fail "$f is left after dpkg -P"; fi
  case "$f" in */ringside | */ringside/*) [ ! -e "$f" ] || fail "$f is left after dpkg -P" ;; esac
done <"$tmp/files"
ok "dpkg -P: every packaged file, /etc/ringside and /var/lib/ringside gone"

# --- the .rpm ---------------------------------------------------------------
if [ -n "$rpm_pkg" ]; then
  command -v rpm >/dev/null || apt_install rpm
  rpm -qp --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH}\n' "$rpm_pkg" >"$tmp/rpm-info" 2>/dev/null
  has "$tmp/rpm-info" "^ringside ${version} 1 $(uname -m)\$"
  rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm_pkg" >"$tmp/rpm-files" 2>/dev/null
  for want in \
    ' -rwxr-xr-x root:root /usr/bin/ringside$' \
    '^cn -rw-r----- root:root /etc/ringside/ringside\.yaml$' \
    ' -rw-r--r-- root:root /usr/lib/systemd/system/ringside\.service$' \
    ' -rw-r--r-- root:root /usr/share/polkit-1/rules\.d/50-ringside\.rules$' \
    ' drwxr-xr-x root:root /etc/ringside$'; do
    has "$tmp/rpm-files" "$want"
  done
  rpm -qp --scripts "$rpm_pkg" >"$tmp/rpm-scripts" 2>/dev/null
  for s in postinstall preuninstall postuninstall; do has "$tmp/rpm-scripts" "^$s scriptlet"; done
  has "$tmp/rpm-scripts" 'useradd --system --gid cassandra'
  ok "rpm -qp: ringside-$version-1.$(uname -m), conffile %config(noreplace) 0640, unit, rule, scriptlets"

  # Its scriptlets get rpm's arguments (1 on install, 0 on erase): run them
  # through rpm itself. Debian's rpm installs beside dpkg only when told to.
  rpm --help >"$tmp/rpm-help" 2>&1 || true
  if grep -q -- --force-debian "$tmp/rpm-help"; then
    forget_user
    rpm -i --nodeps --force-debian "$rpm_pkg" >"$tmp/rpm-i" 2>&1 || { cat "$tmp/rpm-i" >&2; fail "rpm -i"; }
    [ "$(/usr/bin/ringside version)" = "ringside $version" ] || fail "rpm: ringside version"
    [ "$(id -gn ringside 2>/dev/null)" = cassandra ] || fail "rpm %post: no user ringside in group cassandra"
    [ "$(stat -c '%U:%G %a' /etc/ringside/ringside.yaml)" = "root:cassandra 640" ] || fail "rpm %post: ringside.yaml not root:cassandra 0640"
    rpm -e ringside >"$tmp/rpm-e" 2>&1 || { cat "$tmp/rpm-e" >&2; fail "rpm -e"; }
    for f in /usr/bin/ringside "$unit" "$rules" /etc/ringside; do [ ! -e "$f" ] || fail "$f is left after rpm -e"; done
    ok "rpm -i / rpm -e (--nodeps on Debian): %post made ringside:cassandra, erase left nothing"
  fi
fi

# postinstall where adduser/addgroup are missing (RPM distributions): only
# groupadd and useradd on PATH.
forget_user
mkdir -p "$tmp/bin"
for c in sh getent groupadd useradd; do ln -s "$(command -v $c)" "$tmp/bin/$c"; done
env -i PATH="$tmp/bin" sh packaging/scripts/postinstall.sh 1 >"$tmp/post-useradd" 2>&1 ||
  { cat "$tmp/post-useradd" >&2; fail "postinstall with useradd"; }
getent passwd ringside >"$tmp/passwd" || fail "postinstall with useradd: no user ringside"
has "$tmp/passwd" '^ringside:[^:]*:[0-9]+:[0-9]+:ringside sidecar:/var/lib/ringside:/sbin/nologin$'
[ "$(id -gn ringside)" = cassandra ] || fail "postinstall with useradd: group $(id -gn ringside)"
[ "$(id -u ringside)" -lt 1000 ] || fail "postinstall with useradd: not a system user"
ok "postinstall with groupadd/useradd only: system user ringside in group cassandra"

echo "packaging: $passed passed, 0 failed"
