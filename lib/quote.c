/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "quote.h"

const char *dp_quote(char *buf, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return buf;
	if (!s)
		s = "(null)";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = c >= 0x20 && c < 0x7f ? 1 : 4;
		/* Keep room for "..." and the NUL while more may follow. */
		size_t room = s[1] ? 4 : 1;

		if (o + need + room > size) {
			size_t n = size - 1 - o < 3 ? size - 1 - o : 3;

			memcpy(buf + o, "...", n);
			o += n;
			break;
		}
		if (need == 1) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		}
	}
	buf[o] = '\0';
	return buf;
}
