/* SPDX-License-Identifier: MIT */
/*
 * A /proc whose self/mountinfo and net/route say what a test wants, for the
 * library's real reads of /proc/self/mountinfo and /proc/net/route. A tmpfs
 * goes over /proc in the current mount namespace; every other entry of it is
 * a symbolic link into the real procfs, bound beside it, so /proc/self/fd,
 * /proc/self/maps (valgrind) and the rest still answer per process. Every
 * process of the namespace sees it, a tool run by the test included. One
 * difference: readlink of /proc/self/exe, cwd or root gives the link into
 * the real procfs, not its target, so a program run there cannot rely on an
 * $ORIGIN runpath (give it LD_LIBRARY_PATH); /proc/self/fd/N reads right.
 */
#ifndef DP_FAKEPROC_H
#define DP_FAKEPROC_H

/*
 * Mounts it, after moving the calling process into a private mount
 * namespace of its own (a copy of its current one, so a synthetic /sys
 * stays), where nothing reaches the host's /proc. dir: a directory (made
 * if missing) for the real procfs and the new tree (a scratch directory). mountinfo,
 * route: the files' text; NULL leaves the file out. 0 or a negative errno;
 * on failure nothing stays mounted.
 */
int dp_fakeproc_mount(const char *dir, const char *mountinfo, const char *route);
/* Puts the real /proc back (what dp_fakeproc_mount mounted in dir); 0 or a negative errno. */
int dp_fakeproc_umount(const char *dir);

#endif
