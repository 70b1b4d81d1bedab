#!/usr/bin/env bash
# Installs what SlimLLM.Build needs on a bare machine, and nothing more.
#
# TorchSharp 0.107's native shim (libLibTorchSharp.so) is linked against
# GLIBCXX_3.4.32, i.e. libstdc++ from GCC 13 or newer. Debian 12 ships 3.4.30.
# When (and only when) the symbol version is missing, this script adds the
# Debian trixie suite at pin priority 100 (so nothing else is upgraded from it
# by accident) and installs trixie's libstdc++6.
set -euo pipefail

say() { echo "[setup] $*" >&2; }

find_libstdcxx() {
  local p
  for p in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    [ -e "$p" ] && { echo "$p"; return 0; }
  done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}'
}

has_glibcxx_3_4_32() {
  local lib; lib=$(find_libstdcxx)
  [ -n "$lib" ] || return 1
  grep -aq 'GLIBCXX_3\.4\.32' "$lib"
}

ensure_libstdcxx() {
  if [ "$(uname -s)" != "Linux" ]; then return 0; fi
  if has_glibcxx_3_4_32; then
    say "libstdc++ provides GLIBCXX_3.4.32: nothing to install."
    return 0
  fi
  say "libstdc++ ($(find_libstdcxx)) lacks GLIBCXX_3.4.32, which TorchSharp 0.107's libLibTorchSharp.so needs."
  if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null; then
    say "ERROR: not a Debian-like system. Install libstdc++ from GCC 13 or newer, then run this again."
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "ERROR: need root (or sudo) to install libstdc++6 from Debian trixie."; exit 1; }
    sudo="sudo"
  fi
  say "Adding Debian trixie at pin priority 100 and installing trixie's libstdc++6 (GCC 14)."
  $sudo tee /etc/apt/sources.list.d/slimllm-trixie.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $sudo tee /etc/apt/preferences.d/slimllm-trixie >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -t trixie libstdc++6 >&2
  if has_glibcxx_3_4_32; then
    say "libstdc++ now provides GLIBCXX_3.4.32."
  else
    say "ERROR: libstdc++6 from trixie was installed but GLIBCXX_3.4.32 is still missing."
    exit 1
  fi
}

ensure_dotnet() {
  command -v dotnet >/dev/null || { say "ERROR: the .NET SDK 10 is required (https://dot.net); install it and run this again."; exit 1; }
}

ensure_libstdcxx
ensure_dotnet
