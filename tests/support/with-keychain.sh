#!/bin/sh
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring (Secret Service) and
# a throw-away HOME / XDG directories, so keychain tests never touch a real user's keyring.
#   tests/support/with-keychain.sh ./tst_keychainsecretstore [QTest args...]
# Exports BW_TEST_KEYCHAIN_SESSION=1 inside the session; the test refuses to touch a keychain without it.
# The command's exit status is returned; 2 when the session could not be set up.
set -eu

if [ "$#" -lt 1 ]; then
    echo "usage: $0 command [args...]" >&2
    exit 2
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool not found (apt-get install dbus gnome-keyring)" >&2
        exit 2
    fi
done

root=$(mktemp -d "${TMPDIR:-/tmp}/bw-keychain.XXXXXX")
chmod 700 "$root"
trap 'rm -rf "$root"' EXIT
trap 'exit 130' INT TERM

for d in home data config cache runtime; do
    mkdir -m 700 "$root/$d"
done
export HOME="$root/home"
export XDG_DATA_HOME="$root/data"
export XDG_CONFIG_HOME="$root/config"
export XDG_CACHE_HOME="$root/cache"
export XDG_RUNTIME_DIR="$root/runtime"
export BW_TEST_KEYCHAIN_SESSION=1
# Nothing from an outer desktop session may leak in (dbus-run-session sets the bus address).
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK WAYLAND_DISPLAY DISPLAY 2>/dev/null || true

# Inside the session: start the keyring in the foreground (so that we own its pid), with the login
# keyring's password on stdin; wait until it owns org.freedesktop.secrets (otherwise the first client
# would bus-activate a second, locked daemon); run the command; stop the keyring.
status=0
dbus-run-session -- sh -c '
    printf %s bw-test-password | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
    keyring=$!
    tries=0
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 200 ] || ! kill -0 "$keyring" 2>/dev/null; then
            echo "with-keychain.sh: gnome-keyring-daemon did not come up on the session bus" >&2
            kill "$keyring" 2>/dev/null || true
            exit 2
        fi
        sleep 0.05
    done
    rc=0
    "$@" || rc=$?
    kill "$keyring" 2>/dev/null || true
    wait "$keyring" 2>/dev/null || true
    exit "$rc"
' with-keychain "$@" || status=$?
exit "$status"
