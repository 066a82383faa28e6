# SPDX-License-Identifier: Apache-2.0
"""Writes a minimal initramfs (newc cpio): /dev/{kmsg,console}, /sys, /init."""
import sys


def entry(out, ino, name, mode, data=b"", rdev=(0, 0)):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    out += b"070701" + b"".join(b"%08x" % f for f in fields) + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)


init_path, out_path = sys.argv[1], sys.argv[2]
buf = bytearray()
entry(buf, 1, "dev", 0o040755)
entry(buf, 2, "dev/kmsg", 0o020600, rdev=(1, 11))
entry(buf, 3, "dev/console", 0o020600, rdev=(5, 1))
entry(buf, 5, "sys", 0o040755)
with open(init_path, "rb") as f:
    entry(buf, 4, "init", 0o100755, f.read())
entry(buf, 0, "TRAILER!!!", 0)
with open(out_path, "wb") as f:
    f.write(buf)
