/* SPDX-License-Identifier: MIT */
/* Temporary directories for tests: mkdtemp, and removal without system("rm -rf"). */
#ifndef DP_TEST_TMPDIR_H
#define DP_TEST_TMPDIR_H

#include <stddef.h>

/* Makes /tmp/dp-test-NAME-XXXXXX, its path into buf; 0 or -errno. */
int dp_test_tmpdir(char *buf, size_t size, const char *name);
/* Removes the tree at path, following no symbolic link; 0 (also if absent) or -errno. */
int dp_test_remove_tree(const char *path);

#endif
