/* Package versions compared as dpkg and apk compare them: <0, 0, >0. */
#ifndef KEEP_PKGVER_H
#define KEEP_PKGVER_H

int keep_dpkg_vercmp(const char *a, const char *b);
int keep_apk_vercmp(const char *a, const char *b);

#endif
