#!/usr/bin/env python3
"""Build an image archive from a root filesystem dir: an OCI image layout and
the `docker save` form in one tar (or either alone).

    tools/mkimage.py ROOTFS OUT.tar NAME:TAG [--user U] [--cmd 'a b'] [--env K=V]...
                     [--entrypoint 'a b'] [--workdir DIR] [--layer-tar FILE]...
                     [--format both|oci|docker] [--index ARCH] [--zstd] [--env-count N]
                     [--empty-layers N]

ROOTFS may be "-" for no base layer.  --layer-tar adds a prepared tar (any
content, hostile ones included) as a layer on top.  --index wraps the
manifest in an image index for platform linux/ARCH.  --env-count adds N
variables VAR<i>=value<i>; --empty-layers adds N layers holding one tiny file
each (images with more entries or layers than keep accepts).  Used by the tests to
give keep, containerd, Docker and Podman images they build themselves.
"""
import argparse, gzip, hashlib, io, json, os, shlex, subprocess, tarfile

ap = argparse.ArgumentParser()
ap.add_argument("rootfs"); ap.add_argument("out"); ap.add_argument("ref")
ap.add_argument("--user", default=""); ap.add_argument("--cmd", default="/bin/sh")
ap.add_argument("--entrypoint", default=None)
ap.add_argument("--env", action="append", default=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
ap.add_argument("--workdir", default="/")
ap.add_argument("--layer-tar", action="append", default=[])
ap.add_argument("--format", default="both", choices=["both", "oci", "docker"])
ap.add_argument("--index", default=None)
ap.add_argument("--zstd", action="store_true")
ap.add_argument("--stop-signal", default=None)
ap.add_argument("--env-count", type=int, default=0)
ap.add_argument("--empty-layers", type=int, default=0)
ap.add_argument("--healthcheck", default=None)            # a HEALTHCHECK CMD
ap.add_argument("--history", action="append", default=[])  # created_by lines
a = ap.parse_args()
a.env += ["VAR%d=value%d" % (i, i) for i in range(a.env_count)]

def owner_reset(ti):
    # Owners as the image means them (0 = root), not as this host stores them.
    ti.uid = ti.gid = 0 if ti.uid >= 1000000000 or ti.uid == 0 else ti.uid
    ti.uname = ti.gname = ""
    return ti

raws = []
if a.rootfs != "-":
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(a.rootfs)):
            t.add(os.path.join(a.rootfs, name), arcname=name, filter=owner_reset)
    raws.append(raw.getvalue())
for f in a.layer_tar:
    raws.append(open(f, "rb").read())
for i in range(a.empty_layers):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo("layer-%d" % i); ti.size = 0; ti.mode = 0o644
        t.addfile(ti, io.BytesIO(b""))
    raws.append(raw.getvalue())

def compress(data):
    if a.zstd:
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return gzip.compress(data, mtime=0)

def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()

layers = [(r, compress(r)) for r in raws]
config = json.dumps({
    "architecture": a.index or "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
    "config": {"User": a.user, "Env": a.env, "Cmd": shlex.split(a.cmd) if a.cmd else None,
               "Entrypoint": shlex.split(a.entrypoint) if a.entrypoint else None, "WorkingDir": a.workdir,
               **({"StopSignal": a.stop_signal} if a.stop_signal else {}),
               **({"Healthcheck": {"Test": ["CMD-SHELL", a.healthcheck]}} if a.healthcheck else {})},
    "rootfs": {"type": "layers", "diff_ids": [digest(r) for r, _ in layers]},
    **({"history": [{"created_by": h} for h in a.history]} if a.history else {}),
}).encode()
mt = "application/vnd.oci.image.layer.v1.tar+" + ("zstd" if a.zstd else "gzip")
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
    "layers": [{"mediaType": mt, "digest": digest(c), "size": len(c)} for _, c in layers],
}).encode()
name, _, tag = a.ref.rpartition(":")
top, top_mt, blobs = manifest, "application/vnd.oci.image.manifest.v1+json", [config, manifest] + [c for _, c in layers]
if a.index:
    top = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{
        "mediaType": top_mt, "digest": digest(manifest), "size": len(manifest),
        "platform": {"architecture": a.index, "os": "linux"}}]}).encode()
    top_mt = "application/vnd.oci.image.index.v1+json"
    blobs.append(top)
index = json.dumps({"schemaVersion": 2, "manifests": [{
    "mediaType": top_mt, "digest": digest(top), "size": len(top),
    "annotations": {"io.containerd.image.name": a.ref, "org.opencontainers.image.ref.name": tag}}]}).encode()

with tarfile.open(a.out, "w") as t:
    def put(path, data):
        ti = tarfile.TarInfo(path); ti.size = len(data); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
    if a.format in ("both", "oci"):
        put("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        put("index.json", index)
        for data in blobs:
            put("blobs/sha256/" + digest(data).split(":")[1], data)
    if a.format in ("both", "docker"):
        # The `docker save` form, for Docker before 25 (which reads only it).
        cfg_hex = digest(config).split(":")[1]
        put(cfg_hex + ".json", config)
        names = []
        for r, _ in layers:
            n = digest(r).split(":")[1] + "/layer.tar"
            put(n, r)
            names.append(n)
        put("manifest.json", json.dumps([{"Config": cfg_hex + ".json", "RepoTags": [a.ref], "Layers": names}]).encode())
