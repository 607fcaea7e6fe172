/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "opts.h"

int dp_opts_check(const void *opts, size_t min_sz, size_t known_sz)
{
	const unsigned char *p = opts;
	size_t sz;

	if (!opts)
		return -EINVAL;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < min_sz)
		return -EINVAL;
	if (sz > DP_OPTS_SZ_MAX)
		return -E2BIG;
	for (size_t i = known_sz; i < sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

void dp_opts_copy(void *dst, size_t known_sz, const void *opts)
{
	size_t sz;

	memcpy(&sz, opts, sizeof(sz));
	memset(dst, 0, known_sz);
	memcpy(dst, opts, sz < known_sz ? sz : known_sz);
	memcpy(dst, &known_sz, sizeof(known_sz));
}

int dp_info_copy_out(void *dst, size_t min_sz, const void *src, size_t src_sz)
{
	size_t sz;

	if (!dst)
		return -EINVAL;
	memcpy(&sz, dst, sizeof(sz));
	if (sz < min_sz || sz > DP_OPTS_SZ_MAX)
		return -EINVAL;
	if (sz > src_sz) {
		memcpy(dst, src, src_sz);
		memset((unsigned char *)dst + src_sz, 0, sz - src_sz);
	} else {
		memcpy(dst, src, sz);
	}
	memcpy(dst, &sz, sizeof(sz));
	return 0;
}
