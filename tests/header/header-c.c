/* SPDX-License-Identifier: MIT */
/* The public header alone, under -std=c11 -pedantic -Werror -Wpadded. */
#include <directpath/directpath.h>

int dp_header_c_check(void);
int dp_header_c_check(void)
{
	DP_OPTS(dp_ctx_opts, a, .config_dir = "/etc/x", .run_dir = "/run/x");
	DP_OPTS_NONE(dp_ctx_opts, b);

	return (int)(a.sz + b.sz);
}
