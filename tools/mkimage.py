#!/usr/bin/env python3
"""Build an image archive from a root filesystem dir: an OCI image layout and
the `docker save` form in one tar.

    tools/mkimage.py ROOTFS OUT.tar NAME:TAG [--user U] [--cmd 'a b'] [--env K=V]...

Used by the tests to give containerd, Docker and Podman an image they can
import, built from the same busybox root filesystem as every other test.
"""
import argparse, gzip, hashlib, io, json, os, tarfile

ap = argparse.ArgumentParser()
ap.add_argument("rootfs"); ap.add_argument("out"); ap.add_argument("ref")
ap.add_argument("--user", default=""); ap.add_argument("--cmd", default="/bin/sh")
ap.add_argument("--env", action="append", default=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
ap.add_argument("--workdir", default="/")
a = ap.parse_args()

def owner_reset(ti):
    # Owners as the image means them (0 = root), not as this host stores them.
    ti.uid = ti.gid = 0 if ti.uid >= 1000000000 or ti.uid == 0 else ti.uid
    ti.uname = ti.gname = ""
    return ti

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(a.rootfs)):
        t.add(os.path.join(a.rootfs, name), arcname=name, filter=owner_reset)
layer_raw = raw.getvalue()
layer_gz = gzip.compress(layer_raw, mtime=0)
diff_id = "sha256:" + hashlib.sha256(layer_raw).hexdigest()

def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data

config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"User": a.user, "Env": a.env, "Cmd": a.cmd.split(), "WorkingDir": a.workdir},
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
}).encode()
cfg_d, _ = blob(config)
lay_d, _ = blob(layer_gz)
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_d, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": lay_d, "size": len(layer_gz)}],
}).encode()
man_d, _ = blob(manifest)
name, _, tag = a.ref.rpartition(":")
index = json.dumps({"schemaVersion": 2, "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man_d, "size": len(manifest),
    "annotations": {"io.containerd.image.name": a.ref, "org.opencontainers.image.ref.name": tag}}]}).encode()

with tarfile.open(a.out, "w") as t:
    def put(path, data):
        ti = tarfile.TarInfo(path); ti.size = len(data); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
    put("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    put("index.json", index)
    for d, data in ((cfg_d, config), (lay_d, layer_gz), (man_d, manifest)):
        put("blobs/sha256/" + d.split(":")[1], data)
    # The `docker save` form too, for Docker before 25 (which reads only it).
    cfg_hex, diff_hex = cfg_d.split(":")[1], diff_id.split(":")[1]
    put(cfg_hex + ".json", config)
    put(diff_hex + "/layer.tar", layer_raw)
    put("manifest.json", json.dumps([{"Config": cfg_hex + ".json", "RepoTags": [a.ref],
                                      "Layers": [diff_hex + "/layer.tar"]}]).encode())
