# lib.sh - host side of the VM tests: copying programs with their libraries
# into a guest tree, booting QEMU with a timeout (and a retry for the silent
# boot hang seen about once in 15 boots under TCG), collecting the VMTEST
# lines the guest prints on its serial console.
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$VM_DIR/../.." && pwd)
export SOAK_VM_CACHE=${SOAK_VM_CACHE:-/var/cache/soak-vm}

vm_fail() { echo "FAIL: $*" >&2; exit 1; }

# add_prog ROOT SRC DEST: copies an executable or library to ROOT/DEST and
# every library ldd lists for it to the same path as on the host.
add_prog() {
  local root=$1 src=$2 dest=$3 lib
  [ -e "$src" ] || vm_fail "$src is missing (build it, or install its package: scripts/install-deps.sh)"
  install -D -m 0755 "$(readlink -f "$src")" "$root$dest"
  ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
    while read -r lib; do
      [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done
}

# vm_boot LOG TIMEOUT BOOT_TIMEOUT QEMU-ARGS...: boots, with the serial
# console in LOG, until QEMU exits (the guest powers off) or TIMEOUT seconds.
# A guest that prints no VMTEST-BOOT line within BOOT_TIMEOUT seconds is the
# known silent hang: it is killed and booted again, twice at most. Sets
# VM_BOOT_S (seconds to VMTEST-BOOT) and VM_TOTAL_S; returns 1 with VM_WHY
# set when the guest did not finish.
vm_boot() {
  local log=$1 timeout=$2 boot_timeout=$3 attempt qpid t0 now booted stuck
  shift 3
  VM_WHY=""
  command -v qemu-system-x86_64 > /dev/null || { VM_WHY="qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"; return 1; }
  for attempt in 1 2 3; do
    : > "$log"
    t0=$(date +%s%N)
    qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -display none -monitor none \
      -serial "file:$log" -no-reboot "$@" > "$log.qemu" 2>&1 &
    qpid=$!
    booted=""
    while kill -0 $qpid 2> /dev/null; do
      sleep 0.5
      now=$(( ($(date +%s%N) - t0) / 1000000 ))   # ms since start (no python: it is polled)
      if [ -z "$booted" ] && grep -q '^VMTEST-BOOT' "$log"; then
        booted=$(printf '%d.%d' $((now / 1000)) $((now % 1000 / 100)))
      fi
      if [ -z "$booted" ] && [ $now -gt $((boot_timeout * 1000)) ]; then
        echo "vm: no boot after ${boot_timeout}s (attempt $attempt): killing QEMU $qpid" >&2
        kill $qpid; wait $qpid 2> /dev/null
        continue 2
      fi
      # A guest kernel whose CPUs report a soft lockup of a minute or more has
      # stopped making progress (seen once under TCG with -smp 2, host idle:
      # both vCPUs stuck for minutes at the first scenario, as if an IPI was
      # lost). That is the emulator's hang, not a result: the guest is started
      # again from scratch, like a boot that hangs; three in a row fail. Short
      # lockups (a starved vCPU thread on a busy host) recover by themselves.
      stuck=$(grep -ao 'soft lockup - CPU#[0-9]* stuck for [0-9]*s' "$log" | grep -o '[0-9]*s$' | tr -d s | sort -n | tail -n 1 || true)
      if [ -n "$stuck" ] && [ "$stuck" -ge 60 ]; then
        echo "vm: guest kernel soft lockup (attempt $attempt): killing QEMU $qpid and starting again" >&2
        kill $qpid; wait $qpid 2> /dev/null
        cp "$log" "$log.attempt$attempt"
        VM_WHY="guest kernel soft lockup: $(grep -a -m1 'soft lockup' "$log" | tr -d '\r')"
        continue 2
      fi
      if [ $now -gt $((timeout * 1000)) ]; then
        kill $qpid; wait $qpid 2> /dev/null
        VM_WHY="guest did not finish within ${timeout}s (booted after ${booted}s); last console lines: $(tail -5 "$log" | tr -d '\r' | tr '\n' '|')"
        return 1
      fi
    done
    wait $qpid; local rc=$?
    now=$(( ($(date +%s%N) - t0) / 1000000 ))
    VM_TOTAL_S=$(printf '%d.%d' $((now / 1000)) $((now % 1000 / 100)))
    VM_BOOT_S=${booted:-?}
    if [ -z "$booted" ]; then
      # Seen on a loaded host: "IO-APIC + timer doesn't work" panics at boot
      # (no_timer_check avoids it); any death before /init is retried.
      VM_WHY="QEMU exited ($rc) before the guest booted: $(tail -c 600 "$log.qemu" | tr '\n' '|') console: $(grep -a -m1 -i 'panic' "$log" | tr -d '\r') $(tail -3 "$log" | tr -d '\r' | tr '\n' '|')"
      echo "vm: $VM_WHY (attempt $attempt)" >&2
      cp "$log" "$log.attempt$attempt"
      continue
    fi
    return 0
  done
  VM_WHY="the guest did not boot or stalled in 3 attempts (limit ${boot_timeout}s each); last: ${VM_WHY:-no console output} (QEMU: $(tail -c 300 "$log.qemu" | tr '\n' '|'))"
  return 1
}

# vm_results LOG EXPECTED...: prints the guest's VMTEST lines; fails unless
# every expected check passed, none failed, and the guest reached VMTEST-END.
vm_results() {
  local log=$1 name bad=0
  shift
  # One clean copy, grep'ed as a file: `tr | grep -q` fails under pipefail
  # when grep exits at the first match and tr gets SIGPIPE.
  tr -d '\r' < "$log" > "$log.txt"
  grep -a '^VMTEST' "$log.txt" | sed 's/^/  /' || true
  for name in "$@"; do
    grep -aq "^VMTEST $name PASS" "$log.txt" || { echo "vm: $name did not pass" >&2; bad=1; }
  done
  if grep -aq '^VMTEST [^ ]* FAIL' "$log.txt"; then bad=1; fi
  grep -aq '^VMTEST-END' "$log.txt" || { echo "vm: the guest did not reach the end of its scenarios" >&2; bad=1; }
  return $bad
}
