#!/usr/bin/env bash
# Installs a published fsaudit as a systemd service. Run as root after packaging/publish.sh:
#   sudo packaging/install.sh [PUBLISH_DIR]     default PUBLISH_DIR: packaging/out
# Installs /usr/local/sbin/fsaudit, /etc/fsaudit/fsaudit.conf (kept if it exists) and
# /etc/systemd/system/fsaudit.service, then enables and (re)starts the service.
# FSAUDIT_NO_START=1 installs and enables without starting.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
from="$(realpath -m "${1:-$here/out}")"

if [ "$(id -u)" -ne 0 ]; then echo "install.sh: run as root" >&2; exit 1; fi
if [ ! -x "$from/fsaudit" ]; then echo "install.sh: $from/fsaudit not found; run packaging/publish.sh first" >&2; exit 1; fi

install -D -m 0755 "$from/fsaudit" /usr/local/sbin/fsaudit
install -d -m 0755 /etc/fsaudit
if [ -e /etc/fsaudit/fsaudit.conf ]; then
  echo "keeping existing /etc/fsaudit/fsaudit.conf (new template: /etc/fsaudit/fsaudit.conf.dist)"
  install -m 0644 "$here/fsaudit.conf" /etc/fsaudit/fsaudit.conf.dist
else
  install -m 0644 "$here/fsaudit.conf" /etc/fsaudit/fsaudit.conf
fi
# Fail now, not at service start, when the configuration does not load.
/usr/local/sbin/fsaudit classes --config /etc/fsaudit/fsaudit.conf >/dev/null

install -D -m 0644 "$here/../docs/operations.md" /usr/local/share/doc/fsaudit/operations.md
install -m 0644 "$here/fsaudit.service" /etc/systemd/system/fsaudit.service
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable fsaudit.service
  if [ "${FSAUDIT_NO_START:-0}" != 1 ]; then
    systemctl restart fsaudit.service
    systemctl --no-pager status fsaudit.service || true
  fi
else
  echo "systemd is not running here: installed the unit, enable it with 'systemctl enable --now fsaudit' once it is"
fi
