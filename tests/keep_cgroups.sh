# keep_cgroup_dirs: every cgroup keep has made (keep/ID for `keep run`,
# keep-oci/ID for OCI containers), one per line, on a v1, hybrid or v2 host,
# for root or under a user's delegated subtree.  Sourced by tests/run and
# tests/lib.sh, so that no leftover check sees only one cgroup layout.
keep_cgroup_dirs() {
  find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d \( -path '*/keep/*' -o -path '*/keep-oci/*' \) \
    -prune -print 2>/dev/null | sort
}
