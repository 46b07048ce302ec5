#!/usr/bin/env python3
"""Write one layer tar for the image tests, hostile ones included.

    mklayer.py KIND OUT.tar [OUTSIDE]

KIND: dotdot, absolute, symlink-write, symlink-write-rel, hardlink-out,
hardlink-abs, huge, device, whiteout-base, whiteout-top, setuid, owners, bigfile.
OUTSIDE is a host directory a hostile layer tries to write into.
"""
import io, sys, tarfile

kind, out = sys.argv[1], sys.argv[2]
outside = sys.argv[3] if len(sys.argv) > 3 else "/nonexistent"
t = tarfile.open(out, "w", format=tarfile.GNU_FORMAT)

def f(name, data=b"x\n", mode=0o644, uid=0, gid=None):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode
    ti.uid = uid; ti.gid = uid if gid is None else gid
    t.addfile(ti, io.BytesIO(data))

def d(name, mode=0o755, uid=0, gid=0):
    ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; ti.mode = mode; ti.uid = uid; ti.gid = gid
    t.addfile(ti)

def link(name, target, kind=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target
    t.addfile(ti)

if kind == "dotdot":
    f("ok-file"); f("../../../../../../" + outside.lstrip("/") + "/dotdot")
elif kind == "absolute":
    f(outside + "/absolute")
elif kind == "symlink-write":
    link("lnk", outside); f("lnk/pwned")
elif kind == "symlink-write-rel":
    link("lnk", "../../../../../../../../" + outside.lstrip("/")); f("lnk/pwned")
elif kind == "symlink-parent":
    d("a"); link("a/b", outside); f("a/b/c/pwned")
elif kind == "hardlink-out":
    link("hl", "../../../../../../etc/passwd", tarfile.LNKTYPE)
elif kind == "hardlink-abs":
    link("hl", "/etc/passwd", tarfile.LNKTYPE)
elif kind == "hardlink-via-symlink":
    link("s", "/etc"); link("hl", "s/passwd", tarfile.LNKTYPE)
elif kind == "huge":
    # Declares 10 GiB, carries 512 bytes.
    ti = tarfile.TarInfo("big"); ti.size = 10 << 30; ti.mode = 0o644
    t.fileobj.write(ti.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape"))
    t.fileobj.write(b"\0" * 512)
    t.fileobj.close()
    sys.exit(0)
elif kind == "device":
    ti = tarfile.TarInfo("dev-null-copy"); ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3; ti.mode = 0o666
    t.addfile(ti)
elif kind == "whiteout-base":
    d("opt"); d("opt/dir"); f("opt/dir/a", b"a\n"); f("opt/dir/b", b"b\n"); f("opt/gone", b"gone\n")
elif kind == "whiteout-top":
    d("opt"); d("opt/dir"); f("opt/dir/.wh..wh..opq", b""); f("opt/dir/c", b"c\n"); f("opt/.wh.gone", b"")
elif kind == "setuid":
    f("usr/local/bin/suid", b"#!/bin/sh\nid -u\n", mode=0o4755)
elif kind == "hardlink-ok":
    f("orig", b"same\n"); link("copy", "orig", tarfile.LNKTYPE)
elif kind == "owners":
    # Entries under a set-gid directory: each must keep its own group and mode.
    d("srv", mode=0o2775, gid=100); f("srv/root-file"); d("srv/sub", mode=0o755)
    f("srv/sub/user-file", uid=1000); link("srv/lnk", "root-file"); f("plain", uid=0, gid=0)
elif kind == "uid-out-of-range":
    f("far", uid=70000)
else:
    sys.exit("unknown kind " + kind)
t.close()
