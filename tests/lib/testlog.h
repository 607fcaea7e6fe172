/* SPDX-License-Identifier: MIT */
/* A log handler for tests: any LOG_ERR not announced by the test fails it. */
#ifndef DP_TESTLOG_H
#define DP_TESTLOG_H

#include <stdbool.h>

#include <directpath/directpath.h>

/* Installs the handler at LOG_DEBUG priority. */
void dp_test_log_attach(struct dp_ctx *ctx);
/* The log_fn/userdata pair, for dp_ctx_opts. */
void dp_test_log_fn(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata) DP_PRINTF(6, 0);
/* The next LOG_ERR messages are expected; they are collected instead of failing. */
void dp_test_log_expect_err(void);
/* Ends the expectation; returns the collected errors ("" if none), newline-separated. */
const char *dp_test_log_expect_end(void);
/* Everything logged since the last reset, one "<priority>message" line each. */
const char *dp_test_log_all(void);
/* True when a line logged at exactly this priority holds a (and b, unless NULL). */
bool dp_test_logged(int priority, const char *a, const char *b);
/* True when anything at LOG_WARNING or more urgent was logged. */
bool dp_test_warned(void);
void dp_test_log_reset(void);

/* Ends an expected error: fails the test unless its message holds want; returns r. */
int dp_test_check_err(int r, const char *want);
/* Runs call expecting an error whose message holds want; the call's result. */
#define DP_TEST_EXPECT_ERR(call, want) \
	(dp_test_log_expect_err(), dp_test_check_err((call), (want)))
/* File descriptors open in this process (/proc/self/fd). */
int dp_test_count_fds(void);

#endif
