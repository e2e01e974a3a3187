#!/bin/bash
# swap.sh - a swap area for the `paging` workload, and only that.
#
#   scripts/swap.sh on [SIZE] [--zram]   create and enable one (default 2G): a swap
#                                        file at /var/tmp/soak.swap, or a zram device
#   scripts/swap.sh off                  disable and remove exactly what `on` created
#   scripts/swap.sh status               active swap areas and what this script owns
#
# What `on` created is recorded in a state file (/var/tmp/soak-swap.state); `off`
# touches nothing else, so swap configured by the system or by hand is never
# disabled. Both are safe to run twice. Needs root (swapon/swapoff).
# SOAK_SWAP_FILE and SOAK_SWAP_STATE override the two paths (tests).
set -euo pipefail

FILE=${SOAK_SWAP_FILE:-/var/tmp/soak.swap}
STATE=${SOAK_SWAP_STATE:-/var/tmp/soak-swap.state}
PROG=${0##*/}

die() { echo "$PROG: $*" >&2; exit 2; }
say() { echo "$PROG: $*"; }

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (swapon/swapoff)"
}

# Is $1 (a path) an active swap area? /proc/swaps lists the canonical path.
swap_active() {
	local want
	want=$(readlink -f -- "$1" 2>/dev/null || echo "$1")
	awk -v w="$want" 'NR > 1 && $1 == w { found = 1 } END { exit !found }' /proc/swaps
}

state_get() { # key -> value from the state file
	sed -n "s/^$1=//p" "$STATE" 2>/dev/null | head -n1
}

size_mib() { # "2G" / "512M" / "1.5G" / bytes -> MiB (integer)
	local bytes
	bytes=$(numfmt --from=iec -- "${1%iB}" 2>/dev/null) || die "bad size '$1' (e.g. 2G, 512M)"
	[ "$bytes" -ge $((16 * 1024 * 1024)) ] || die "size '$1' is below 16M"
	echo $(((bytes + 1048575) / 1048576))
}

on_file() {
	local mib=$1
	if [ -e "$FILE" ]; then
		die "$FILE exists but was not created by $PROG (no $STATE): not touching it"
	fi
	mkdir -p -- "$(dirname -- "$FILE")"
	# Record before creating, so a failure half-way is still cleaned by `off`.
	printf 'kind=file\npath=%s\nsize_mib=%s\n' "$FILE" "$mib" >"$STATE"
	( umask 077; : >"$FILE" )
	# fallocate is instant, but some file systems reject swap on unwritten
	# extents (swapon: "Invalid argument"); dd always works.
	if ! { fallocate -l "${mib}MiB" -- "$FILE" 2>/dev/null && mkswap -- "$FILE" >/dev/null &&
		swapon -- "$FILE" 2>/dev/null; }; then
		rm -f -- "$FILE"
		( umask 077; dd if=/dev/zero of="$FILE" bs=1M count="$mib" status=none ) ||
			{ rm -f -- "$FILE" "$STATE"; die "cannot write $FILE"; }
		mkswap -- "$FILE" >/dev/null || { rm -f -- "$FILE" "$STATE"; die "mkswap $FILE failed"; }
		swapon -- "$FILE" || { rm -f -- "$FILE" "$STATE"; die "swapon $FILE failed"; }
	fi
	say "swap file $FILE (${mib} MiB) enabled; remove it with: $0 off"
}

on_zram() {
	local mib=$1 before dev added=0
	[ -d /sys/class/zram-control ] || modprobe zram 2>/dev/null || true
	[ -d /sys/class/zram-control ] || die "no zram support (modprobe zram failed)"
	command -v zramctl >/dev/null || die "zramctl not found (util-linux)"
	before=$(ls /sys/block | grep '^zram' || true)
	dev=$(zramctl --find --size "${mib}M") || die "no free zram device"
	grep -qx "${dev#/dev/}" <<<"$before" || added=1
	printf 'kind=zram\npath=%s\nadded=%s\nsize_mib=%s\n' "$dev" "$added" "$mib" >"$STATE"
	if ! { mkswap -- "$dev" >/dev/null && swapon -p 100 -- "$dev"; }; then
		zram_remove "$dev" "$added"
		rm -f -- "$STATE"
		die "cannot enable swap on $dev"
	fi
	say "zram swap $dev (${mib} MiB) enabled; remove it with: $0 off"
}

zram_remove() { # dev added
	local dev=$1 added=$2 n
	# Reset through sysfs: `zramctl --reset` also hot-removes the device, which
	# would delete a zram device the system had before `on`.
	echo 1 >"/sys/block/${dev#/dev/}/reset" 2>/dev/null || true
	if [ "$added" = 1 ]; then
		n=${dev#/dev/zram}
		echo "$n" >/sys/class/zram-control/hot_remove 2>/dev/null || true
	fi
}

cmd_on() {
	local size=2G zram=0
	for a in "$@"; do
		case $a in
		--zram) zram=1 ;;
		-h | --help) usage; exit 0 ;;
		-*) die "unknown option $a" ;;
		*) size=$a ;;
		esac
	done
	need_root
	local mib
	mib=$(size_mib "$size")
	if [ -f "$STATE" ]; then
		local path
		path=$(state_get path)
		if [ -n "$path" ] && swap_active "$path"; then
			say "already on: $(state_get kind) $path (from an earlier '$PROG on'); nothing to do"
			return 0
		fi
		# A stale record (e.g. after a reboot): clean what it names, then start over.
		cmd_off >/dev/null
	fi
	if [ "$zram" = 1 ]; then on_zram "$mib"; else on_file "$mib"; fi
}

cmd_off() {
	need_root
	if [ ! -f "$STATE" ]; then
		if [ -e "$FILE" ]; then
			say "$FILE exists but $PROG has no record of creating it: left alone"
		fi
		say "nothing to do: no swap created by $PROG"
		return 0
	fi
	local kind path
	kind=$(state_get kind)
	path=$(state_get path)
	case $kind in
	file)
		[ "$path" = "$FILE" ] || die "state names $path, not $FILE: refusing (remove $STATE by hand if stale)"
		if swap_active "$path"; then
			swapoff -- "$path" || die "swapoff $path failed (not enough memory to swap back in?); retry later"
		fi
		rm -f -- "$path"
		;;
	zram)
		case $path in /dev/zram[0-9]*) ;; *) die "state names '$path', not a zram device: refusing" ;; esac
		if swap_active "$path"; then
			swapoff -- "$path" || die "swapoff $path failed (not enough memory to swap back in?); retry later"
		fi
		zram_remove "$path" "$(state_get added)"
		;;
	*)
		die "unreadable state file $STATE: refusing"
		;;
	esac
	rm -f -- "$STATE"
	say "removed $kind swap $path"
}

cmd_status() {
	echo "active swap areas (/proc/swaps):"
	if [ "$(wc -l </proc/swaps)" -le 1 ]; then
		echo "  none"
	else
		tail -n +2 /proc/swaps | sed 's/^/  /'
	fi
	if [ -f "$STATE" ]; then
		local path state=inactive
		path=$(state_get path)
		swap_active "$path" && state=active
		echo "created by $PROG: $(state_get kind) $path ($(state_get size_mib) MiB, $state)"
	else
		echo "created by $PROG: nothing"
	fi
}

case ${1:-} in
on) shift; cmd_on "$@" ;;
off) shift; [ $# -eq 0 ] || die "off takes no arguments"; cmd_off ;;
status) cmd_status ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac
