#!/usr/bin/env bash
# Builds deploy/Dockerfile for real and smoke-tests the image (test/integration/deploy.test.ts runs it).
#  1. When no node:20-bookworm-slim image exists locally (here no registry but npm's is reachable),
#     `docker import`s a stand-in made of this host's node and its shared libraries, npm (with an
#     `npm` wrapper), busybox for /bin/sh, and the host's CA bundle, and tags it node:20-bookworm-slim.
#  2. docker build -f deploy/Dockerfile -t pic-reconciler:test .   (npm ci inside reaches the registry)
#  3. Runs the image: --help exits 0 with the usage; `validate` accepts the example state; the
#     process is not root; runtime dependencies resolve and dev dependencies are absent.
#  4. Removes the test image and, when this script created the stand-in, the stand-in and every
#     image built on it. Prints each step's duration on stderr.
# --keep stops before step 4 (for a test that runs the image further); --clean runs only step 4.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=node:20-bookworm-slim
IMAGE=${PIC_CHECK_IMAGE:-pic-reconciler:test}
STAND_IN_LABEL=org.pic-reconciler.stand-in

log() { printf '[check-dockerfile] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

mode=${1:-}
case "$mode" in
  "" | --keep | --clean) ;;
  *) fail "usage: $0 [--keep | --clean]" ;;
esac

docker info >/dev/null 2>&1 || fail "no Docker daemon answers"

created_base=""
root=""

# The stand-in and every image built on it (they inherit its label), deepest first. Only a stand-in
# carries the label, so a real node image and the images built on it are never listed.
stand_in_images() {
  local ids
  ids=$(docker image ls -a -q --no-trunc --filter "label=$STAND_IN_LABEL=true" | sort -u)
  [[ -n "$ids" ]] || return 0
  # shellcheck disable=SC2086
  docker image inspect -f '{{.Id}} {{.Parent}}' $ids | awk '
    { parent[$1] = $2 }
    END { for (id in parent) { depth = 0; for (p = parent[id]; p in parent; p = parent[p]) depth++; print depth, id } }' |
    sort -rn | cut -d' ' -f2
}

cleanup() {
  local code=$?
  if [[ "$mode" == --keep && "$code" == 0 ]]; then exit 0; fi
  docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
  if [[ -n "$created_base" ]]; then
    local id
    for id in $(stand_in_images); do docker image rm "$id" >/dev/null 2>&1 || true; done
  fi
  if [[ -n "$root" ]]; then rm -rf "$root"; fi
  exit "$code"
}
trap cleanup EXIT

# Merged-/usr layout like bookworm, so the library paths ldd prints land in the same place.
copy_libraries() {
  local lib libs
  # A static binary (busybox-static) has none: ldd fails, and that is fine.
  libs=$(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' || true)
  for lib in $libs; do
    [[ -e "$root$lib" ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

import_stand_in() {
  local node busybox npm_dir ca
  node=$(node -p process.execPath)
  busybox=$(command -v busybox) || fail "busybox is missing (apt-get install busybox-static)"
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [[ -f "$npm_dir/package.json" && "$(node -p "require('$npm_dir/package.json').name")" == npm ]] ||
    fail "cannot find npm's folder (got $npm_dir)"
  root=$(mktemp -d /tmp/pic-node-rootfs.XXXXXX)
  mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/usr/local/{bin,lib/node_modules} \
    "$root"/{etc/ssl/certs,tmp,root,home/node,var/run,proc,sys,dev}
  for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
  chmod 1777 "$root/tmp"

  cp "$busybox" "$root/usr/bin/busybox"
  copy_libraries "$busybox"
  while read -r applet; do
    if [[ ! -e "$root/$applet" && ! -L "$root/$applet" ]]; then ln -s /usr/bin/busybox "$root/$applet"; fi
  done < <("$busybox" --list-full)

  # util-linux's flock, as in the official image (busybox here has no flock applet): the cell lock.
  cp -L "$(command -v flock)" "$root/usr/bin/flock"
  copy_libraries "$(command -v flock)"

  # Where the official image has them.
  cp -L "$node" "$root/usr/local/bin/node"
  copy_libraries "$node"
  # The official image has more of the system's libraries than node links: rolldown's native
  # binding (the image's `npm run build` bundles the CLI) also needs librt.
  local binding
  for binding in node_modules/@rolldown/binding-*/*.node; do
    if [[ -e "$binding" ]]; then copy_libraries "$binding"; fi
  done
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  for tool in npm npx; do
    printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$tool" >"$root/usr/local/bin/$tool"
    chmod 755 "$root/usr/local/bin/$tool"
  done

  # The host's trust store: the npm registry may sit behind a TLS-inspecting proxy here.
  ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
  local ca_change=()
  if [[ -f "$ca" ]]; then
    cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
    ca_change=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
  fi

  # The official image's users: root and node (1000:1000).
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
  chown 1000:1000 "$root/home/node"

  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $STAND_IN_LABEL=true" \
    "${ca_change[@]}" \
    --change 'CMD ["node"]' \
    - "$BASE" >/dev/null
  rm -rf "$root"
  root=""
}

# Images with the stand-in label are only ever this script's.
if [[ "$mode" == --clean ]]; then
  created_base=yes
  exit 0
fi

start=$SECONDS
if docker image inspect "$BASE" >/dev/null 2>&1; then
  # A stand-in left by --keep or an interrupted run is ours to remove; a real image is not.
  if [[ "$(docker image inspect -f "{{index .Config.Labels \"$STAND_IN_LABEL\"}}" "$BASE")" == true ]]; then created_base=yes; fi
  log "using the existing $BASE${created_base:+ (a stand-in left by an earlier run)}"
else
  log "no $BASE here: importing a stand-in from this host's node $(node --version)"
  created_base=yes
  import_stand_in
  log "stand-in imported in $((SECONDS - start)) s"
fi

# The classic builder when the buildx plugin is missing (BuildKit is the CLI's default otherwise).
if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi
# Host network: a dockerd started with --iptables=false gives bridged build containers no way out.
# --force-rm: a failed step's container would otherwise pin the stand-in.
build_start=$SECONDS
docker build --network host --force-rm -f deploy/Dockerfile -t "$IMAGE" . >&2 || fail "docker build failed"
log "docker build took $((SECONDS - build_start)) s"

usage=$(docker run --rm --network none "$IMAGE" --help) || fail "--help exited $?"
grep -q '^Usage:' <<<"$usage" || fail "--help printed no usage: $usage"
grep -q 'pic-reconciler run' <<<"$usage" || fail "--help does not list the run command: $usage"

validate_out=$(docker run --rm --network none -v "$PWD/state:/state:ro" "$IMAGE" validate --state /state 2>&1) ||
  fail "validate of the example state failed: $validate_out"

probe='const r = (m) => { try { require.resolve(m, { paths: ["/app"] }); return true; } catch { return false; } };
console.log(JSON.stringify({ uid: process.getuid(), pino: r("pino"), zod: r("zod"), typescript: r("typescript"), vitest: r("vitest") }));'
facts=$(docker run --rm --network none --entrypoint node "$IMAGE" -e "$probe") || fail "node probe failed"
[[ "$facts" == '{"uid":1000,"pino":true,"zod":true,"typescript":false,"vitest":false}' ]] ||
  fail "unexpected runtime facts (want uid 1000, runtime deps only): $facts"

[[ "$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE")" == *healthcheck.mjs* ]] || fail "image has no HEALTHCHECK"

log "ok: --help, validate, non-root, runtime deps only, healthcheck ($((SECONDS - start)) s in all)"
echo "ok"
