/* SPDX-License-Identifier: MIT */
/* The main of every check program: run the suite as CK_ENV says, exit with the result. */
#ifndef DP_TESTRUN_H
#define DP_TESTRUN_H

#include <check.h>
#include <stdlib.h>

/* Runs s (TAP when meson's environment asks for it) and frees it; EXIT_SUCCESS or EXIT_FAILURE. */
static inline int dp_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
