#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, run and test BetterWorld.
# Usage: scripts/install-deps.sh [--test]   (--test adds test/benchmark tools)
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libxkbcommon-dev libgl-dev
  qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qtkeychain-qt6-dev libsecret-1-0
  libqt6sql6-psql libpq-dev postgresql-15 postgresql-contrib
  libboost-dev libsodium-dev libssl-dev
  pgbackrest
  fonts-dejavu-core xauth xvfb dbus gnome-keyring libsecret-tools
)
TEST_PACKAGES=(
  clang libclang-rt-14-dev llvm clang-format clang-tidy curl jq openssl wrk hyperfine valgrind procps
  dbus-x11
  nodejs
)

want=("${PACKAGES[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST_PACKAGES[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
