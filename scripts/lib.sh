# SPDX-License-Identifier: Apache-2.0
# Shared by scripts/run and scripts/test: package installation and the build.
# Sourced, not run.

HALYARD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages listed in scripts/packages.txt that are missing.
ensure_packages() {
	local want missing=()
	want=$(grep -v '^\s*#' "$HALYARD_ROOT/scripts/packages.txt" | sed 's/\s.*//' | grep -v '^$' | sort -u)
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing: ${missing[*]}"
		if [ "$(id -u)" -ne 0 ]; then
			echo "error: packages missing and not running as root: ${missing[*]}" >&2
			return 1
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq || true
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	if ! command -v node >/dev/null 2>&1; then
		say "installing nodejs (for the Xen Orchestra client tests)"
		apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null || true
	fi
}

# The unprivileged user QEMU runs as (xapid passes -runas when it exists;
# HALYARD_QEMU_USER overrides the name, empty keeps QEMU as root). A system
# user and group of its own: no login shell, no home. Idempotent.
ensure_qemu_user() {
	local u=${HALYARD_QEMU_USER-halyard-qemu}
	[ -n "$u" ] || return 0
	getent passwd "$u" >/dev/null && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "no user $u and not root: QEMU will run as the user xapid runs as"
		return 0
	fi
	say "creating the system user $u (QEMU runs as it)"
	getent group "$u" >/dev/null || groupadd --system "$u"
	useradd --system --gid "$u" --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "Halyard QEMU" "$u"
}

# Configures (once) and builds a build directory: build_dir DIR [meson options…]
build_dir() {
	local dir=$1
	shift
	if [ ! -f "$HALYARD_ROOT/$dir/build.ninja" ]; then
		say "configuring $dir"
		meson setup "$HALYARD_ROOT/$dir" "$HALYARD_ROOT" "$@" >/dev/null
	fi
	say "building $dir"
	ninja -C "$HALYARD_ROOT/$dir" >/dev/null || ninja -C "$HALYARD_ROOT/$dir"
}
