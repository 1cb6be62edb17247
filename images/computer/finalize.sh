#!/bin/sh
# Runs inside the rootfs (chroot) after debootstrap and the wheel install.
# Keeps the image small and leaves the non-root user nowhere to write outside the
# computer tree and the size-limited tmpfs mounts the sandbox adds (/tmp).
set -eu

py=$(readlink -f /usr/bin/python3)

# Byte-compile once here: the user cannot write __pycache__ into /usr at run time.
"$py" -m compileall -q -j 0 /usr/lib/python3 /usr/local/lib >/dev/null 2>&1 || true
"$py" -m compileall -q -j 0 "/usr/lib/$(basename "$py")" >/dev/null 2>&1 || true

# Trim: docs, man pages, translations, apt lists and caches, logs.
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/lintian \
       /usr/share/linda /usr/share/common-licenses
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/cache/ldconfig/*
find /var/log -type f -delete
rm -f /etc/machine-id /var/lib/dbus/machine-id
# Test suites shipped inside the wheels.
find /usr/local/lib -depth -type d -name tests -path '*dist-packages*' -exec rm -rf {} +

# World-writable places on the image's own filesystem would let the user fill the
# container's writable layer (the host disk): /var/tmp becomes /tmp (a tmpfs at run time),
# /run/lock and /var/mail get no write bit for others.
rm -rf /var/tmp && ln -s /tmp /var/tmp
chmod 0755 /run/lock
chmod 0755 /var/local /var/mail
chmod 1777 /tmp

# One locale archive instead of a dozen locale files: every agent command starts a bash,
# and on fuse-overlayfs each file a non-root process opens is a FUSE round trip (the
# C.UTF-8 files took 3 of the 5.7 ms a bash took to start as the agent; 2.1 ms with this).
localedef --add-to-archive /usr/lib/locale/C.utf8
rm -rf /usr/lib/locale/C.utf8

# The bash every agent command starts in (synthcomp.sandbox.docker.AGENT_SHELL): the static
# one, which starts ~1.4 ms sooner than /bin/bash as a non-root process here, named bash so
# that ps shows bash.
mkdir -p /usr/libexec/synthcomp
ln -f /bin/bash-static /usr/libexec/synthcomp/bash

# Where snapshots keep their archive; root only.
mkdir -p /.synthcomp && chmod 0700 /.synthcomp

# Mount points of the computer tree (Windows: /drives/C/..., macOS: /Users/<name>/...).
mkdir -p /drives /Users
echo "synthcomp" > /etc/hostname
