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
