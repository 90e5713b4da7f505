#!/usr/bin/env bash
# Make a stand-in for `python:3.11-slim` when no registry is reachable (offline CI, sandboxes).
#
# A minimal Debian bookworm root from debootstrap (Debian's python3 is 3.11, as in the
# real image) with pip, trimmed like Debian's slim images, `python`/`pip` on /usr/local/bin,
# imported into podman under the real image's name so the Dockerfile builds unchanged.
# It is NOT the official image (different Python build, Debian's pip); see docs/container.md.
#
#   scripts/image/local-base.sh [WORKDIR]     (root; needs debootstrap and podman)
set -euo pipefail

work=${1:-/var/tmp/mockflow-local-base}
name=${BASE_IMAGE:-docker.io/library/python:3.11-slim}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$work/rootfs

for tool in debootstrap podman tar; do
    command -v "$tool" >/dev/null || { echo "local-base: '$tool' not found (apt-get install $tool)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "local-base: debootstrap needs root" >&2; exit 2; }

mkdir -p "$work"
if [ ! -x "$root/usr/bin/python3" ]; then
    debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates \
        bookworm "$root" "$mirror"
fi

# Slim-image trimming: no package caches or lists, no docs, man pages or translations.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/usr/share/locale/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
# The official image's Python is not "externally managed": `pip install .` as root works there.
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
ln -sf /usr/bin/pip3 "$root/usr/local/bin/pip"
# The build's RUN steps reach PyPI the way the host does: the host's resolver and its CA
# bundle (a TLS-intercepting egress proxy re-signs PyPI's certificate in some sandboxes).
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

echo "local-base: rootfs $(du -sh --exclude=proc --exclude=sys "$root" | cut -f1)"
tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
podman rmi -f "$name" >/dev/null 2>&1 || true
podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$work/rootfs.tar" "$name"
rm -f "$work/rootfs.tar"
podman image inspect --format '{{.Id}} {{.Size}}' "$name" \
    | awk -v n="$name" '{ printf "local-base: %s imported (%s, %.0f MB)\n", n, substr($1, 1, 12), $2 / 1e6 }'
