#!/usr/bin/env bash
# A RAM-backed block device standing in for fast storage: a file on tmpfs behind a loop device,
# formatted ext4 and mounted, so O_DIRECT works and the "device" is steady (no virtio disk's
# drift) — results measured on it are labelled RAM-backed wherever they appear. Needs root.
# Usage: tests/peers/ram_device.sh up SIZE MOUNTPOINT    (prints the loop device)
#        tests/peers/ram_device.sh down MOUNTPOINT
# `up` undoes what it did when a step fails; `down` unmounts, detaches and removes the backing file
# (only the one `up` made: its path is kept in MOUNTPOINT/.. as .ram-device-<name>).
set -euo pipefail
cmd="${1:-}"
case "$cmd" in
  up)
    size="$2" mnt="$3"
    state="$(dirname "$mnt")/.ram-device-$(basename "$mnt")"
    [ ! -e "$state" ] || { echo "ram_device: $mnt is already up ($state)" >&2; exit 2; }
    img="$(mktemp /dev/shm/aistor-ram-XXXXXX.img)"
    loop=""
    undo() {
      mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
      [ -z "$loop" ] || losetup -d "$loop"
      rm -f "$img" "$state"
    }
    trap 'undo; echo "ram_device: up failed" >&2' ERR
    truncate -s "$size" "$img"
    loop="$(losetup -f --show "$img")"
    mkfs.ext4 -q -F "$loop"
    mkdir -p "$mnt"
    mount "$loop" "$mnt"
    printf '%s %s\n' "$loop" "$img" > "$state"
    trap - ERR
    echo "$loop"
    ;;
  down)
    mnt="$2"
    state="$(dirname "$mnt")/.ram-device-$(basename "$mnt")"
    [ -f "$state" ] || { echo "ram_device: no RAM device at $mnt" >&2; exit 2; }
    read -r loop img < "$state"
    ! mountpoint -q "$mnt" || umount "$mnt"
    losetup -d "$loop" 2>/dev/null || true
    rm -f "$img" "$state"
    ;;
  *)
    echo "usage: ram_device.sh up SIZE MOUNTPOINT | down MOUNTPOINT" >&2
    exit 2
    ;;
esac
