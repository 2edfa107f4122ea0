#!/usr/bin/env bash
# Builds the integration tests' container image by `docker import` of a root filesystem assembled
# from this host's binaries (no registry is reachable): busybox-static, iptables (nft) with its
# extension modules, iproute2, and every shared library they load.
# Prints the image reference (pic-test-cell:<hash>) as the last line; skips the build when it exists.
set -euo pipefail

XTABLES_DIR=/usr/lib/x86_64-linux-gnu/xtables
XTABLES_BIN=/usr/sbin/xtables-nft-multi
BUSYBOX=$(command -v busybox)
IP_BIN=$(command -v ip)

for needed in "$BUSYBOX" "$XTABLES_BIN" "$IP_BIN"; do
  [[ -x "$needed" ]] || { echo "build-test-image: $needed is missing (apt-get install busybox-static iptables iproute2)" >&2; exit 1; }
done
[[ -d "$XTABLES_DIR" ]] || { echo "build-test-image: $XTABLES_DIR is missing" >&2; exit 1; }
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "build-test-image: $BUSYBOX is dynamically linked; install busybox-static" >&2
  exit 1
fi

# The tag changes whenever this script or the host's tool versions change.
HASH=$( { cat "$0"; "$BUSYBOX" 2>&1 | head -n 1; "$XTABLES_BIN" iptables --version; "$IP_BIN" -V; } | sha256sum | cut -c1-12)
IMAGE="pic-test-cell:$HASH"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE"
  exit 0
fi

ROOT=$(mktemp -d /tmp/pic-test-rootfs.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT

# Merged-/usr layout like the host, so library paths printed by ldd land in the same place.
mkdir -p "$ROOT"/usr/{bin,sbin,lib,lib64} "$ROOT"/{etc,tmp,run,proc,sys,dev,root,var/run}
ln -s usr/bin "$ROOT/bin"
ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
chmod 1777 "$ROOT/tmp"

cp "$BUSYBOX" "$ROOT/usr/bin/busybox"
while read -r applet; do
  # bin/ and usr/bin/ are one folder here; the first link of a name wins, and busybox itself stays a file.
  if [[ ! -e "$ROOT/$applet" && ! -L "$ROOT/$applet" ]]; then ln -s /usr/bin/busybox "$ROOT/$applet"; fi
done < <("$BUSYBOX" --list-full)

# The real tools replace busybox's applets of the same name.
cp "$XTABLES_BIN" "$ROOT/usr/sbin/xtables-nft-multi"
for tool in iptables iptables-save iptables-restore iptables-nft iptables-nft-save iptables-nft-restore; do
  ln -sf xtables-nft-multi "$ROOT/usr/sbin/$tool"
done
rm -f "$ROOT/usr/sbin/ip"
cp "$IP_BIN" "$ROOT/usr/sbin/ip"
mkdir -p "$ROOT$XTABLES_DIR"
cp -a "$XTABLES_DIR/." "$ROOT$XTABLES_DIR/"
if [[ -d /etc/iproute2 ]]; then cp -a /etc/iproute2 "$ROOT/etc/iproute2"; fi
for file in /etc/protocols /etc/services /etc/ethertypes; do
  if [[ -f "$file" ]]; then cp "$file" "$ROOT$file"; fi
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"

# Every library the binaries and the xtables modules load, at the path the loader finds it.
copy_libraries() {
  ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    [[ -e "$ROOT$lib" ]] && continue
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  done
}
copy_libraries "$XTABLES_BIN"
copy_libraries "$IP_BIN"
for module in "$XTABLES_DIR"/*.so; do
  copy_libraries "$module"
done

tar -C "$ROOT" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/sh"]' \
  - "$IMAGE" >/dev/null
echo "$IMAGE"
