# shellcheck shell=bash
# Shared set-up for scripts/test, scripts/demo and scripts/bench: sourced, not run.
# Makes sure the Debian packages the build needs are installed and that Swift is on PATH.

REQUIRED_DEBIAN_PACKAGES=(libsqlite3-dev libcurl4-openssl-dev zlib1g-dev)

say() { printf '%s\n' "$*" >&2; }

# ensure_packages PKG...: installs the missing ones when root, else says how.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        say "Installing Debian packages: ${missing[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    else
        say "These Debian packages are missing: ${missing[*]}"
        say "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
}

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="/opt/swift/usr/bin:$PATH"
        else
            say "swift is not on PATH; install Swift 6.1 or later (https://swift.org/install)"
            exit 1
        fi
    fi
}

setup_build_environment() {
    ensure_swift
    ensure_packages "${REQUIRED_DEBIAN_PACKAGES[@]}" "$@"
}
