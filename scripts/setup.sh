#!/usr/bin/env bash
# setup.sh prepares a Debian 12 machine for pave's end-to-end tests.
#
# It installs Debian packages, starts a Docker engine and a local registry
# (TLS + htpasswd basic auth on 127.0.0.1), downloads the .deb files the
# tests assemble images from, builds the runtime sensor's test image
# (debootstrap), and writes /var/tmp/pave-test/env, which the
# tests read. It needs nothing but Debian's mirrors, runs as root, and is
# idempotent: a second run only checks that everything is still up.
#
# Environment:
#   PAVE_TEST_DIR            cache directory (default /var/tmp/pave-test)
#   PAVE_TEST_REGISTRY_PORT  registry port on 127.0.0.1 (default 5443)
#   PAVE_TEST_NO_DOCKER=1    skip starting dockerd (the env file then has no
#                            PAVE_TEST_DOCKER line and daemon tests skip)
set -euo pipefail

DIR=${PAVE_TEST_DIR:-/var/tmp/pave-test}
PORT=${PAVE_TEST_REGISTRY_PORT:-5443}
DEBS_DIR=$DIR/debs
CERTS=$DIR/certs
REG_DIR=$DIR/registry
ENV_FILE=$DIR/env
DOCKERD_LOG=/tmp/pave-dockerd.log
REGISTRY_LOG=/tmp/pave-registry.log

# Tools the tests run.
# clang, llvm and libbpf-dev regenerate the sensor's eBPF objects (bpf2go); bpftrace
# is the overhead benchmark's reference; debootstrap builds the runtime test image.
PACKAGES=(docker.io docker-registry apache2-utils openssl dpkg-dev curl ca-certificates zstd
	clang llvm libbpf-dev bpftrace debootstrap)

# Real Debian packages the tests and the sample image are assembled from.
# Keep in step with internal/testimage (DebNames) and docs/testing.md.
DEBS=(
	base-files libc6 libgcc-s1 gcc-12-base debianutils zlib1g netbase mawk
	python3-six python3-idna node-semver node-ms ruby-rainbow ruby-sdbm
	libcommons-cli-java
)

step() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts dockerd)"
mkdir -p "$DIR" "$DEBS_DIR" "$CERTS" "$REG_DIR/data"

export DEBIAN_FRONTEND=noninteractive

# apt-get update only when some package or deb we need has no candidate.
apt_updated=0
apt_update_once() {
	if [ "$apt_updated" = 0 ]; then
		step "apt-get update"
		apt-get update -q >/tmp/pave-apt-update.log 2>&1 || die "apt-get update failed (see /tmp/pave-apt-update.log)"
		apt_updated=1
	fi
}
# (Output captured first: with pipefail, grep -q closing the pipe early
# would make apt-cache fail with SIGPIPE.)
has_candidate() {
	local out
	out=$(apt-cache policy "$1" 2>/dev/null) || return 1
	[[ $out == *"Candidate: "[!\(]* ]]
}

# 1. Packages.
missing=()
for p in "${PACKAGES[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	for p in "${missing[@]}"; do
		has_candidate "$p" || apt_update_once
	done
	step "apt-get install ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/pave-apt-install.log 2>&1 ||
		die "apt-get install failed (see /tmp/pave-apt-install.log)"
else
	step "packages present: ${PACKAGES[*]}"
fi

# 2. Debs for test images.
need_debs=()
for p in "${DEBS[@]}"; do
	compgen -G "$DEBS_DIR/${p}_*.deb" >/dev/null || need_debs+=("$p")
done
if [ ${#need_debs[@]} -gt 0 ]; then
	for p in "${need_debs[@]}"; do
		has_candidate "$p" || apt_update_once
	done
	step "apt-get download ${need_debs[*]} -> $DEBS_DIR"
	(cd "$DEBS_DIR" && apt-get download -q "${need_debs[@]}" >/tmp/pave-apt-download.log 2>&1) ||
		die "apt-get download failed (see /tmp/pave-apt-download.log)"
	# apt-get download runs as _apt when it can; make the files readable.
	chmod a+r "$DEBS_DIR"/*.deb
else
	step "debs present in $DEBS_DIR (${#DEBS[@]} packages)"
fi

# 3. Docker engine.
docker_ok() { timeout 10 docker info >/dev/null 2>&1; }
if [ "${PAVE_TEST_NO_DOCKER:-}" = 1 ]; then
	step "dockerd skipped (PAVE_TEST_NO_DOCKER=1)"
elif docker_ok; then
	step "dockerd answering on its socket"
else
	# A dockerd killed uncleanly leaves its pid file behind and refuses to
	# start while it names a pid; drop it when that pid is gone.
	if [ -s /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
		rm -f /var/run/docker.pid
	fi
	start_dockerd() {
		setsid nohup /usr/sbin/dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
		local pid=$!
		for _ in $(seq 1 60); do
			docker_ok && return 0
			kill -0 "$pid" 2>/dev/null || return 1 # exited
			sleep 1
		done
		kill "$pid" 2>/dev/null || true
		return 1
	}
	: >"$DOCKERD_LOG"
	step "starting dockerd (log: $DOCKERD_LOG)"
	if ! start_dockerd; then
		# Kernels or sandboxes without bridge/NAT support: the tests need
		# image storage, not container networking.
		step "dockerd did not start; retrying with --bridge=none --iptables=false"
		rm -f /var/run/docker.pid
		start_dockerd --bridge=none --iptables=false --ip6tables=false ||
			die "dockerd did not answer within 60s; last lines of $DOCKERD_LOG:
$(tail -n 15 "$DOCKERD_LOG" 2>/dev/null)"
	fi
	step "dockerd up"
fi

# 4. Registry: certificate, credentials, config.
if [ ! -s "$CERTS/registry.crt" ] || [ ! -s "$CERTS/registry.key" ]; then
	step "openssl: self-signed certificate for 127.0.0.1 and localhost"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-subj "/CN=pave-test registry" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$CERTS/registry.key" -out "$CERTS/registry.crt" >/dev/null 2>&1 ||
		die "openssl could not create the certificate"
	chmod 600 "$CERTS/registry.key"
else
	step "certificate present"
fi
if [ ! -s "$DIR/registry-password" ]; then
	openssl rand -hex 16 >"$DIR/registry-password"
	chmod 600 "$DIR/registry-password"
fi
USER_NAME=pave
PASSWORD=$(cat "$DIR/registry-password")
if [ ! -s "$REG_DIR/htpasswd" ] || ! htpasswd -vb "$REG_DIR/htpasswd" "$USER_NAME" "$PASSWORD" >/dev/null 2>&1; then
	step "htpasswd: bcrypt credentials for $USER_NAME"
	htpasswd -Bbc "$REG_DIR/htpasswd" "$USER_NAME" "$PASSWORD" >/dev/null 2>&1 || die "htpasswd failed"
fi
cat >"$REG_DIR/config.yml.new" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
  tls:
    certificate: $CERTS/registry.crt
    key: $CERTS/registry.key
auth:
  htpasswd:
    realm: pave-test
    path: $REG_DIR/htpasswd
EOF
config_changed=0
if ! cmp -s "$REG_DIR/config.yml.new" "$REG_DIR/config.yml"; then
	mv "$REG_DIR/config.yml.new" "$REG_DIR/config.yml"
	config_changed=1
else
	rm -f "$REG_DIR/config.yml.new"
fi

# 5. Registry process. It answers /v2/ with 401 to anonymous requests and
# 200 to ours.
registry_ok() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CERTS/registry.crt" \
		-u "$USER_NAME:$PASSWORD" "https://127.0.0.1:$PORT/v2/")" = 200 ]
}
pidfile=$REG_DIR/registry.pid
if [ "$config_changed" = 1 ] && [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
	step "registry config changed: stopping pid $(cat "$pidfile")"
	kill "$(cat "$pidfile")" || true
	sleep 1
fi
if registry_ok; then
	step "registry answering on https://127.0.0.1:$PORT"
else
	step "starting docker-registry on 127.0.0.1:$PORT (log: $REGISTRY_LOG)"
	setsid nohup /usr/bin/docker-registry serve "$REG_DIR/config.yml" >"$REGISTRY_LOG" 2>&1 </dev/null &
	echo $! >"$pidfile"
	for _ in $(seq 1 30); do
		registry_ok && break
		sleep 0.5
	done
	registry_ok || die "registry did not answer on https://127.0.0.1:$PORT within 15s; last lines of $REGISTRY_LOG:
$(tail -n 15 "$REGISTRY_LOG" 2>/dev/null)"
	step "registry up"
fi

# 6. The sample vulnerability data (real feeds in their published formats),
# for the feed parsers' real-data tests: the bundle beside the repository
# (../shared/data) is checked against its SHA256SUMS and unpacked once.
VULNDATA=${PAVE_VULNDATA:-/var/tmp/vulndata/extracted}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bundle=""
for d in "$ROOT/../shared/data" /work/shared/data; do
	for f in "$d"/vulndata-bundle-*.tar.zst; do
		[ -f "$f" ] && bundle=$f && break 2
	done
done
if [ -z "$bundle" ]; then
	step "no vulnerability data bundle beside the repository: real-data feed tests will skip"
else
	sum=$(sha256sum "$bundle" | cut -d' ' -f1)
	sums=$(dirname "$bundle")/SHA256SUMS
	if [ -f "$sums" ] && ! grep -q "^$sum " "$sums"; then
		die "$bundle does not match $sums"
	fi
	if [ "$(cat "$VULNDATA/.bundle-sha256" 2>/dev/null)" = "$sum" ]; then
		step "vulnerability data present in $VULNDATA"
	else
		step "unpacking $(basename "$bundle") -> $VULNDATA"
		rm -rf "$VULNDATA.new" && mkdir -p "$VULNDATA.new"
		zstd -dc "$bundle" | tar -x -C "$VULNDATA.new" --no-same-owner || die "unpacking $bundle failed"
		echo "$sum" >"$VULNDATA.new/.bundle-sha256"
		rm -rf "$VULNDATA" && mv "$VULNDATA.new" "$VULNDATA"
	fi
fi

# 7. The runtime test image: a minimal Debian bookworm root (busybox-static
# and netcat-openbsd on top of minbase) for the runtime sensor's tests, which
# start real containers. debootstrap fetches from the mirror apt already uses;
# the root is cached as a tarball and imported as $RUNTIME_IMAGE, whose label
# carries the tarball's sha256 so a rerun imports only when they differ.
RUNTIME_IMAGE=pave-test/runtime:bookworm
RUNTIME_TAR=$DIR/runtime-bookworm.tar.gz
# debian_mirror prints the first bookworm (not -security) URI apt is configured
# with, from deb822 .sources files or one-line .list files.
debian_mirror() {
	local f uri suites line
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri="" suites=""
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			URIs:*) read -r uri _ <<<"${line#URIs:}" ;;
			Suites:*) suites=${line#Suites:} ;;
			"")
				if [[ " $suites " == *" bookworm "* ]] && [ -n "$uri" ]; then
					echo "$uri" && return 0
				fi
				uri="" suites=""
				;;
			esac
		done <"$f"
		if [[ " $suites " == *" bookworm "* ]] && [ -n "$uri" ]; then
			echo "$uri" && return 0
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == "bookworm") { print $i; exit } }' "$f")
		[ -n "$uri" ] && echo "$uri" && return 0
	done
	return 1
}
if [ "${PAVE_TEST_NO_DOCKER:-}" = 1 ]; then
	step "runtime image skipped (PAVE_TEST_NO_DOCKER=1)"
else
	if [ ! -s "$RUNTIME_TAR" ]; then
		mirror=$(debian_mirror) || die "no bookworm mirror in /etc/apt/sources.list(.d) for debootstrap"
		step "debootstrap bookworm (minbase + busybox-static, netcat-openbsd) from $mirror"
		rm -rf "$DIR/runtime.new" && mkdir -p "$DIR/runtime.new"
		debootstrap --variant=minbase --include=busybox-static,netcat-openbsd bookworm \
			"$DIR/runtime.new/root" "$mirror" >/tmp/pave-debootstrap.log 2>&1 ||
			die "debootstrap failed (see /tmp/pave-debootstrap.log)"
		# The package cache and lists are the bulk and no test needs them.
		rm -rf "$DIR/runtime.new/root/var/cache/apt/archives/"*.deb "$DIR/runtime.new/root/var/lib/apt/lists/"*
		tar --numeric-owner -C "$DIR/runtime.new/root" -czf "$RUNTIME_TAR.new" . ||
			die "packing the runtime root failed"
		mv "$RUNTIME_TAR.new" "$RUNTIME_TAR"
		rm -rf "$DIR/runtime.new"
	fi
	runtime_sum=$(sha256sum "$RUNTIME_TAR" | cut -d' ' -f1)
	have_sum=$(docker image inspect -f '{{index .Config.Labels "pave.test.tarball-sha256"}}' "$RUNTIME_IMAGE" 2>/dev/null || true)
	if [ "$have_sum" = "$runtime_sum" ]; then
		step "runtime image $RUNTIME_IMAGE present"
	else
		step "docker import $RUNTIME_TAR -> $RUNTIME_IMAGE"
		old_id=$(docker image inspect -f '{{.Id}}' "$RUNTIME_IMAGE" 2>/dev/null || true)
		docker import --change "LABEL pave.test.tarball-sha256=$runtime_sum" --change 'CMD ["/bin/sh"]' \
			"$RUNTIME_TAR" "$RUNTIME_IMAGE" >/dev/null || die "docker import $RUNTIME_TAR failed"
		# The previous import, now untagged; kept if a container still uses it.
		[ -n "$old_id" ] && docker image rm "$old_id" >/dev/null 2>&1 || true
	fi
	docker run --rm --network none "$RUNTIME_IMAGE" /bin/sh -c 'echo ok' 2>&1 | grep -qx ok ||
		die "$RUNTIME_IMAGE does not run a container"
fi

# 8. The env file the tests read (KEY=VALUE, also fine to source).
{
	echo "PAVE_TEST_DIR=$DIR"
	echo "PAVE_TEST_DEBS=$DEBS_DIR"
	if [ "${PAVE_TEST_NO_DOCKER:-}" != 1 ]; then
		echo "PAVE_TEST_DOCKER=unix:///var/run/docker.sock"
		echo "PAVE_TEST_RUNTIME_IMAGE=$RUNTIME_IMAGE"
	fi
	echo "PAVE_TEST_REGISTRY=127.0.0.1:$PORT"
	echo "PAVE_TEST_REGISTRY_USER=$USER_NAME"
	echo "PAVE_TEST_REGISTRY_PASSWORD=$PASSWORD"
	echo "PAVE_TEST_REGISTRY_CA=$CERTS/registry.crt"
} >"$ENV_FILE.new"
mv "$ENV_FILE.new" "$ENV_FILE"
chmod 600 "$ENV_FILE"
step "wrote $ENV_FILE"
