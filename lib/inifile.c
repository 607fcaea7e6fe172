/* SPDX-License-Identifier: MIT */
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "inifile.h"

struct dp_inifile {
	struct dp_ctx *ctx;
	const char *path;
	FILE *fp;
	unsigned line;
	unsigned err_line;
	int err;
	char msg[512];
	dp_inifile_fn fn;
	void *userdata;
	char **seen;     /* "section\nkey" */
	size_t n_seen;
};

/* Reads one line for libinih, counting lines and refusing overlong ones. */
static char *reader(char *str, int num, void *stream)
{
	struct dp_inifile *f = stream;
	char buf[DP_INIFILE_MAX_LINE + 2];
	size_t len;

	if (!fgets(buf, sizeof(buf), f->fp))
		return NULL;
	f->line++;
	len = strlen(buf);
	if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
		int c;

		while ((c = fgetc(f->fp)) != EOF && c != '\n')
			;
		dp_inifile_error(f, "line longer than %d characters", DP_INIFILE_MAX_LINE);
		buf[0] = '\0';
		len = 0;
	}
	/* An indented line would be a continuation for libinih: we have none. */
	{
		size_t skip = strspn(buf, " \t");

		memmove(buf, buf + skip, len - skip + 1);
		len -= skip;
	}
	if (len >= (size_t)num) {
		dp_inifile_error(f, "line longer than %d characters", num - 2);
		len = 0;
	}
	memcpy(str, buf, len);
	str[len] = '\0';
	return str;
}

int dp_inifile_error(struct dp_inifile *f, const char *format, ...)
{
	va_list args;

	if (f->err == 0) {
		f->err = -EINVAL;
		f->err_line = f->line;
		va_start(args, format);
		vsnprintf(f->msg, sizeof(f->msg), format, args);
		va_end(args);
	}
	return -EINVAL;
}

int dp_inifile_seen(struct dp_inifile *f, const char *section, const char *key)
{
	size_t len = strlen(section) + strlen(key) + 2;
	char *k = malloc(len), **p;

	if (!k)
		return -ENOMEM;
	snprintf(k, len, "%s\n%s", section, key);
	for (size_t i = 0; i < f->n_seen; i++)
		if (strcmp(f->seen[i], k) == 0) {
			free(k);
			return 1;
		}
	p = realloc(f->seen, (f->n_seen + 1) * sizeof(*p));
	if (!p) {
		free(k);
		return -ENOMEM;
	}
	f->seen = p;
	f->seen[f->n_seen++] = k;
	return 0;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct dp_inifile *f = user;
	int r;

	if (f->err)
		return 1; /* only the first error is reported; keep inih quiet */
	if (!key) /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	r = f->fn(f, section, key, value ? value : "", f->userdata);
	if (r < 0 && f->err == 0) {
		f->err = r;
		f->err_line = f->line;
		snprintf(f->msg, sizeof(f->msg), "%s", strerror(-r));
	}
	return 1;
}

int dp_inifile_parse(struct dp_ctx *ctx, const char *path, dp_inifile_fn fn,
		     void *userdata)
{
	struct dp_inifile f = { .ctx = ctx, .path = path, .fn = fn, .userdata = userdata };
	struct stat st;
	int r;

	f.fp = fopen(path, "re");
	if (!f.fp) {
		r = -errno;
		dp_err(ctx, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fileno(f.fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		dp_err(ctx, "%s: not a regular file", path);
		fclose(f.fp);
		return -EINVAL;
	}
	if (st.st_size > DP_INIFILE_MAX_SIZE) {
		dp_err(ctx, "%s: larger than %d bytes", path, DP_INIFILE_MAX_SIZE);
		fclose(f.fp);
		return -EFBIG;
	}
	r = ini_parse_stream(reader, &f, handler, &f);
	if (f.err == 0 && r > 0) {
		/* libinih's own syntax error: a line that is neither section nor key. */
		f.err = -EINVAL;
		f.err_line = (unsigned)r;
		snprintf(f.msg, sizeof(f.msg), "not a [section] or key = value line");
	} else if (f.err == 0 && r < 0) {
		f.err = -ENOMEM;
		snprintf(f.msg, sizeof(f.msg), "out of memory");
	}
	if (f.err)
		dp_err(ctx, "%s:%u: %s", path, f.err_line, f.msg);
	fclose(f.fp);
	for (size_t i = 0; i < f.n_seen; i++)
		free(f.seen[i]);
	free(f.seen);
	return f.err;
}

int dp_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}
