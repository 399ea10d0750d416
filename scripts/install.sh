#!/usr/bin/env bash
# Installs radscored as a product (run as root, or with DESTDIR for a staging tree):
#
#   /usr/lib/radscored/bin/radscored          the binary (its install root is /usr/lib/radscored)
#   /usr/lib/radscored/engines/               model bundles (engines/reference: demonstration bundle)
#   /usr/lib/radscored/firmware-config/       the shipped configuration defaults
#   /usr/lib/radscored/scripts/pyradiomics_peer.py   `radscored bench`'s PyRadiomics peer
#   /usr/bin/radscored                        a link to the binary
#   /etc/radscored/                           editable copies of firmware-config/ (never overwritten)
#   /usr/lib/systemd/system/                  the units of systemd/, when the repository has them
#   /var/cache/radscored/                     TensorRT engines, built by `radscored prepare` (not
#                                             with DESTDIR)
#   /usr/share/doc/radscored/README.md
#
# The binary finds engines/ and scripts/ beside itself (src/cli/environment.rs gives the search
# order); nothing depends on the current folder. ONNX Runtime is not installed here: set
# ORT_DYLIB_PATH to its libonnxruntime.so (e.g. pip's onnxruntime wheel, or onnxruntime-gpu).
#
# Usage: scripts/install.sh [--binary PATH]     (default: builds target/release/radscored)
# Environment: DESTDIR (staging root, default empty), PREFIX (default /usr), SYSCONFDIR (/etc).
# Idempotent: a second run replaces the program files and keeps /etc/radscored as edited.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        *) echo "install.sh: unknown option $1 (only --binary PATH)" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    cargo build --release --quiet
    binary=target/release/radscored
fi
[ -x "$binary" ] || { echo "install.sh: $binary is not an executable (build it or pass --binary)" >&2; exit 2; }
[ -f engines/reference/densenet121.onnx ] || {
    echo "install.sh: engines/reference/densenet121.onnx is missing: run scripts/setup.sh first" >&2
    exit 2
}

destdir="${DESTDIR:-}"
prefix="${PREFIX:-/usr}"
sysconfdir="${SYSCONFDIR:-/etc}"
root="$destdir$prefix/lib/radscored"
etc="$destdir$sysconfdir/radscored"

install -d "$root/bin" "$root/engines" "$root/firmware-config" "$root/scripts" "$destdir$prefix/bin" "$etc"
install -m 0755 "$binary" "$root/bin/radscored"
ln -sfn "$prefix/lib/radscored/bin/radscored" "$destdir$prefix/bin/radscored"
# Bundles: copied with links resolved (the checkout's network may be a link to a shared copy).
rm -rf "$root/engines"
cp -rL engines "$root/engines"
chmod -R u=rwX,go=rX "$root/engines"
cp -rL firmware-config/. "$root/firmware-config/"
install -m 0644 scripts/pyradiomics_peer.py "$root/scripts/pyradiomics_peer.py"
for file in firmware-config/*; do
    [ -f "$file" ] || continue
    name="$(basename "$file")"
    [ -e "$etc/$name" ] || install -m 0644 "$file" "$etc/$name"
done
install -d "$destdir$prefix/share/doc/radscored"
install -m 0644 README.md "$destdir$prefix/share/doc/radscored/README.md"

if [ -d systemd ]; then
    units="$destdir$prefix/lib/systemd/system"
    install -d "$units"
    for unit in systemd/*; do
        [ -f "$unit" ] && install -m 0644 "$unit" "$units/$(basename "$unit")"
    done
    if [ -z "$destdir" ]; then
        getent passwd radscored >/dev/null ||
            useradd --system --home-dir /var/lib/radscored --shell /usr/sbin/nologin radscored
        # TensorRT engines are built now, as the service's user, into its CacheDirectory, so the
        # daemon's first start loads them instead of building them for minutes.
        install -d -o radscored -g radscored -m 0700 /var/cache/radscored
        runuser -u radscored -- "$root/bin/radscored" prepare --config "$etc/appliance.toml" ||
            echo "install.sh: 'radscored prepare' failed (above); the daemon will fail the same way until it is fixed" >&2
        if [ -d /run/systemd/system ]; then
            systemctl daemon-reload
        fi
    fi
fi
echo "installed radscored in $root (configuration in $etc)"
