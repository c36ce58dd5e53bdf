#!/usr/bin/env bash
# A private Virtuoso (Debian's virtuoso-opensource 7) for pilotkg's tests, benchmark and users.
#
#   scripts/virtuoso.sh install   apt-get install it, without letting the packaged server start
#   scripts/virtuoso.sh start     start a private instance on 127.0.0.1 (waits until /sparql answers)
#   scripts/virtuoso.sh stop      stop the private instance (by the PID it wrote)
#   scripts/virtuoso.sh status    say whether it runs; exit 0 when it answers, 3 when not
#   scripts/virtuoso.sh env       print the settings as shell assignments
#
# Settings (environment):
#   VIRTUOSO_DIR         database folder          (default: ${TMPDIR:-/tmp}/pilotkg-virtuoso)
#   VIRTUOSO_ISQL_PORT   SQL port                 (default: 1111)
#   VIRTUOSO_HTTP_PORT   HTTP port                (default: 8890)
#   VIRTUOSO_START_TIMEOUT_S  how long start waits (default: 60)
#   VIRTUOSO_BUFFERS     8 KB pages of its buffer pool (default: 340000, about 2.7 GB; the
#                        packaged ini's 10000 is 80 MB, and graphs of a million triples then
#                        load, copy and delete at disk speed)
#
# Both ports are bound to 127.0.0.1 only. A fresh database has the account dba/dba, which
# reaches /sparql-auth and /sparql-graph-crud-auth with HTTP digest authentication; start
# also lets the anonymous "SPARQL" account update, for tests of the unauthenticated path.
# Never expose this instance: its password is the default one.
set -euo pipefail

VIRTUOSO_DIR="${VIRTUOSO_DIR:-${TMPDIR:-/tmp}/pilotkg-virtuoso}"
VIRTUOSO_ISQL_PORT="${VIRTUOSO_ISQL_PORT:-1111}"
VIRTUOSO_HTTP_PORT="${VIRTUOSO_HTTP_PORT:-8890}"
VIRTUOSO_START_TIMEOUT_S="${VIRTUOSO_START_TIMEOUT_S:-60}"
VIRTUOSO_BUFFERS="${VIRTUOSO_BUFFERS:-340000}"
PACKAGED_INI=/etc/virtuoso-opensource-7/virtuoso.ini
PID_FILE="$VIRTUOSO_DIR/virtuoso.pid"
INI="$VIRTUOSO_DIR/virtuoso.ini"
LOG="$VIRTUOSO_DIR/virtuoso.out"
SPARQL_URL="http://127.0.0.1:$VIRTUOSO_HTTP_PORT/sparql"

say() { echo "virtuoso.sh: $*" >&2; }
die() { say "$*"; exit 1; }

installed() { command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null && [ -f "$PACKAGED_INI" ]; }

# `pilotkg load --virtuoso-sql` talks SQL over ODBC: Virtuoso's own driver (libvirtodbc0) and
# unixODBC's libodbc2, which pyodbc links to. The server runs without them.
odbc_installed() { dpkg -s libvirtodbc0 >/dev/null 2>&1 && dpkg -s libodbc2 >/dev/null 2>&1; }

install() {
    if installed && odbc_installed; then
        say "already installed ($(command -v virtuoso-t))"
    else
        [ "$(id -u)" = 0 ] || die "install needs root (apt-get); run it with sudo"
        # The package starts its own server on all interfaces unless policy-rc.d forbids it.
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends virtuoso-opensource libvirtodbc0 libodbc2 >/dev/null
    fi
    stop_packaged
}

stop_packaged() {
    # A packaged instance would hold the default ports and listen beyond localhost.
    if command -v systemctl >/dev/null && systemctl is-active --quiet virtuoso-opensource-7 2>/dev/null; then
        systemctl stop virtuoso-opensource-7 || true
        systemctl disable virtuoso-opensource-7 || true
        say "stopped and disabled the packaged virtuoso-opensource-7 service"
    elif [ -x /etc/init.d/virtuoso-opensource-7 ] && /etc/init.d/virtuoso-opensource-7 status >/dev/null 2>&1; then
        /etc/init.d/virtuoso-opensource-7 stop || true
        command -v update-rc.d >/dev/null && update-rc.d virtuoso-opensource-7 disable >/dev/null 2>&1 || true
        say "stopped and disabled the packaged virtuoso-opensource-7 service"
    fi
}

answers() { curl -fsS -o /dev/null --max-time 2 "$SPARQL_URL?query=ASK%7B%7D" 2>/dev/null; }

running_pid() {
    [ -f "$PID_FILE" ] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

isql() { isql-vt "127.0.0.1:$VIRTUOSO_ISQL_PORT" dba dba "$@"; }

write_ini() {
    # Point every path of the packaged ini at VIRTUOSO_DIR and bind both ports to 127.0.0.1.
    sed -E \
        -e "s|^(DatabaseFile\s*=).*|\1 $VIRTUOSO_DIR/virtuoso.db|" \
        -e "s|^(ErrorLogFile\s*=).*|\1 $VIRTUOSO_DIR/virtuoso.log|" \
        -e "s|^(LockFile\s*=).*|\1 $VIRTUOSO_DIR/virtuoso.lck|" \
        -e "s|^(TransactionFile\s*=).*|\1 $VIRTUOSO_DIR/virtuoso.trx|" \
        -e "s|^(xa_persistent_file\s*=).*|\1 $VIRTUOSO_DIR/virtuoso.pxa|" \
        -e "s|^(DirsAllowed\s*=.*)|\1, $VIRTUOSO_DIR|" \
        -e "/^\[Parameters\]/,/^\[/ s|^(ServerPort\s*=).*|\1 127.0.0.1:$VIRTUOSO_ISQL_PORT|" \
        -e "/^\[HTTPServer\]/,/^\[/ s|^(ServerPort\s*=).*|\1 127.0.0.1:$VIRTUOSO_HTTP_PORT|" \
        -e "s|^(NumberOfBuffers\s*=).*|\1 $VIRTUOSO_BUFFERS|" \
        -e "s|^(MaxDirtyBuffers\s*=).*|\1 $((VIRTUOSO_BUFFERS * 3 / 4))|" \
        "$PACKAGED_INI" >"$INI"
    # The temporary database has its own section: give it its own paths too.
    sed -i -E "/^\[TempDatabase\]/,/^\[/ {
        s|^(DatabaseFile\s*=).*|\1 $VIRTUOSO_DIR/virtuoso-temp.db|
        s|^(TransactionFile\s*=).*|\1 $VIRTUOSO_DIR/virtuoso-temp.trx|
    }" "$INI"
}

grant() {
    # Tests load as dba over digest auth and also anonymously; both need SPARQL_UPDATE.
    isql exec="grant SPARQL_UPDATE to \"SPARQL\"; grant execute on DB.DBA.SPARQL_INSERT_DICT_CONTENT to \"SPARQL\"; grant execute on DB.DBA.SPARQL_DELETE_DICT_CONTENT to \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);" >/dev/null
}

start() {
    installed || die "Virtuoso is not installed: run scripts/virtuoso.sh install (needs root)"
    if running_pid >/dev/null; then
        say "already running (pid $(running_pid)) at $SPARQL_URL"
        return 0
    fi
    if answers; then
        die "something else already answers at $SPARQL_URL: stop it or set VIRTUOSO_HTTP_PORT"
    fi
    mkdir -p "$VIRTUOSO_DIR"
    write_ini
    (cd "$VIRTUOSO_DIR" && exec virtuoso-t +foreground +configfile "$INI" >"$LOG" 2>&1) &
    echo $! >"$PID_FILE"
    local waited=0
    until answers && isql exec="select 1;" >/dev/null 2>&1; do
        if ! running_pid >/dev/null; then
            tail -n 20 "$LOG" >&2 || true
            die "virtuoso-t exited during start (log: $LOG)"
        fi
        if [ "$waited" -ge "$VIRTUOSO_START_TIMEOUT_S" ]; then
            stop
            die "no answer at $SPARQL_URL after ${VIRTUOSO_START_TIMEOUT_S}s (log: $LOG)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    grant
    say "running (pid $(running_pid)) at $SPARQL_URL, database in $VIRTUOSO_DIR"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        say "not running"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
    fi
    rm -f "$PID_FILE" "$VIRTUOSO_DIR/virtuoso.lck"
    say "stopped (pid $pid)"
}

status() {
    if pid="$(running_pid)" && answers; then
        say "running (pid $pid) at $SPARQL_URL"
        return 0
    fi
    installed && say "installed, not running" || say "not installed"
    return 3
}

print_env() {
    cat <<EOF
VIRTUOSO_DIR=$VIRTUOSO_DIR
VIRTUOSO_ISQL_PORT=$VIRTUOSO_ISQL_PORT
VIRTUOSO_HTTP_PORT=$VIRTUOSO_HTTP_PORT
VIRTUOSO_SPARQL=$SPARQL_URL
EOF
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    *) die "usage: scripts/virtuoso.sh install|start|stop|status|env" ;;
esac
