/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inifile.h"
#include "quote.h"

struct dp_inifile {
	struct dp_ctx *ctx;
	const char *path;
	char *buf;       /* the whole file */
	size_t len, pos;
	unsigned line;
	unsigned err_line;
	int err;
	char msg[512];
	const char *const *sections; /* NULL: any */
	dp_inifile_fn fn;
	void *userdata;
	char **seen;     /* "section\nkey" */
	size_t n_seen;
};

int dp_read_text_file(struct dp_ctx *ctx, const char *path, size_t max, char **out,
		      size_t *out_len)
{
	size_t len = 0, size;
	struct stat st;
	char *buf = NULL;
	int fd, r;

	/* O_NONBLOCK: a FIFO must not hang us before fstat() says what it is. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		dp_err(ctx, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		dp_err(ctx, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		dp_err(ctx, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		dp_err(ctx, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	/* A regular file ignores O_NONBLOCK; it may still grow while we read. */
	size = (size_t)st.st_size + 1;
	for (;;) {
		ssize_t n;

		if (len == size) {
			char *p;

			if (size > max) {
				r = -EFBIG;
				dp_err(ctx, "%s: larger than %zu bytes", path, max);
				goto out;
			}
			size = size * 2 > max + 1 ? max + 1 : size * 2;
			p = realloc(buf, size);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			buf = p;
		} else if (!buf && !(buf = malloc(size))) {
			r = -ENOMEM;
			goto out;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			dp_err(ctx, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

bool dp_next_line(const char *buf, size_t len, size_t *pos, const char **line,
		  size_t *line_len)
{
	const char *start = buf + *pos, *nl;
	size_t n;

	if (*pos >= len)
		return false;
	nl = memchr(start, '\n', len - *pos);
	n = nl ? (size_t)(nl - start) : len - *pos;
	*pos += n + (nl ? 1 : 0);
	if (nl && n > 0 && start[n - 1] == '\r')
		n--; /* CR LF */
	*line = start;
	*line_len = n;
	return true;
}

/* What libinih would call a syntax error, found here so that the first error is the one reported. */
static const char *syntax_error(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == ';' || s[0] == '#')
		return NULL;
	/* libinih's rule: a ';' after white space starts a comment. */
	for (i = s[0] == '[' ? 1 : 0; i < len; i++) {
		if (s[i] == ';' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			break;
		if (s[0] == '[' ? s[i] == ']' : s[i] == '=' || s[i] == ':')
			break;
	}
	if (i == len || s[i] == ';')
		return s[0] == '[' ? "no ']' to end the section header"
				   : "not a [section] or key = value line";
	if (s[0] != '[')
		return NULL;
	/* After "[name]", only white space, then perhaps a comment after it. */
	for (i++; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i < len && !(s[i] == ';' && (s[i - 1] == ' ' || s[i - 1] == '\t')))
		return "text after the section header";
	return NULL;
}

/* Is "name]..." (size bytes, a ']' among them) a known section? If not, the error lists them. */
static bool known_section(struct dp_inifile *f, const char *name, size_t size)
{
	const char *close = memchr(name, ']', size);
	size_t n = (size_t)(close - name), len = 0;
	char list[256] = "";

	for (size_t i = 0; f->sections[i]; i++) {
		const char *s = f->sections[i], *star = strchr(s, '*');
		size_t k = star ? (size_t)(star - s) : strlen(s);

		if (!star && k == n && memcmp(s, name, n) == 0)
			return true;
		/* "device *VVVV:DDDD": a family of sections; the callback judges the name at its header. */
		if (star && n > k && memcmp(s, name, k) == 0) {
			char full[DP_INIFILE_MAX_LINE + 1];

			snprintf(full, sizeof(full), "%.*s", (int)n, name);
			return f->fn(f, full, NULL, NULL, f->userdata) == 0;
		}
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%.*s%s",
						i ? ", " : "", (int)k, s, star ? star + 1 : "");
	}
	{
		char raw[DP_INIFILE_MAX_LINE + 1], q[DP_QUOTE_SIZE(DP_INIFILE_MAX_LINE)];

		snprintf(raw, sizeof(raw), "%.*s", (int)n, name);
		dp_inifile_error(f, "unknown section [%s] (%s)", dp_quote(q, sizeof(q), raw), list);
	}
	return false;
}

/*
 * Gives libinih one line of the file, counting lines and enforcing the rules
 * of directpath-policy(5) on the raw line, before anything is stripped: at
 * most DP_INIFILE_MAX_LINE bytes without its LF or CR LF, no NUL byte. The
 * first error ends the file for libinih: nothing after it is applied.
 */
static char *reader(char *str, int num, void *stream)
{
	struct dp_inifile *f = stream;
	size_t len, skip, max = DP_INIFILE_MAX_LINE;
	const char *line, *why;

	if (f->err || !dp_next_line(f->buf, f->len, &f->pos, &line, &len))
		return NULL;
	f->line++;
	if (f->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3; /* a byte order mark is not part of the line */
		len -= 3;
	}
	if (memchr(line, '\0', len)) {
		dp_inifile_error(f, "a NUL byte (this is not a text file)");
		return NULL;
	}
	if (num > 0 && (size_t)num - 1 < max)
		max = (size_t)num - 1; /* a libinih built with a smaller INI_MAX_LINE */
	if (len > max) {
		dp_inifile_error(f, "line longer than %zu characters", max);
		return NULL;
	}
	/* An indented line would be a continuation for libinih: we have none. */
	for (skip = 0; skip < len && (line[skip] == ' ' || line[skip] == '\t'); skip++)
		;
	line += skip;
	len -= skip;
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	/* libinih would drop a mark here too, and see a line that is not the file's. */
	if (f->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		dp_inifile_error(f, "a byte order mark after white space");
		return NULL;
	}
	why = syntax_error(line, len);
	if (why) {
		dp_inifile_error(f, "%s", why);
		return NULL;
	}
	if (len && line[0] == '[' && f->sections && !known_section(f, line + 1, len - 1))
		return NULL;
	memcpy(str, line, len);
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

unsigned dp_inifile_line(const struct dp_inifile *f)
{
	return f->line;
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
	return dp_inifile_parse_sections(ctx, path, NULL, fn, userdata);
}

/* Records the buffer size libinih offers, and ends the stream. */
static char *probe_reader(char *str, int num, void *stream)
{
	(void)str;
	*(int *)stream = num;
	return NULL;
}

static int probe_handler(void *user, const char *section, const char *name,
			 const char *value)
{
	(void)user;
	(void)section;
	(void)name;
	(void)value;
	return 1;
}

size_t dp_inifile_line_max(void)
{
	int num = 0;

	/* libinih passes its INI_MAX_LINE, which counts the LF and the NUL. */
	ini_parse_stream(probe_reader, &num, probe_handler, NULL);
	if (num > 0 && (size_t)num - 1 < DP_INIFILE_MAX_LINE)
		return (size_t)num - 1;
	return DP_INIFILE_MAX_LINE;
}

int dp_inifile_parse_sections(struct dp_ctx *ctx, const char *path,
			      const char *const *sections, dp_inifile_fn fn, void *userdata)
{
	struct dp_inifile f = { .ctx = ctx, .path = path, .sections = sections, .fn = fn,
				.userdata = userdata };
	int r;

	r = dp_read_text_file(ctx, path, DP_INIFILE_MAX_SIZE, &f.buf, &f.len);
	if (r < 0)
		return r;
	r = ini_parse_stream(reader, &f, handler, &f);
	if (f.err == 0 && r > 0) {
		/* A syntax error of libinih's that syntax_error() did not foresee. */
		f.err = -EINVAL;
		f.err_line = (unsigned)r;
		snprintf(f.msg, sizeof(f.msg), "not a [section] or key = value line");
	} else if (f.err == 0 && r < 0) {
		f.err = -ENOMEM;
		snprintf(f.msg, sizeof(f.msg), "out of memory");
	}
	if (f.err)
		dp_err(ctx, "%s:%u: %s", path, f.err_line, f.msg);
	free(f.buf);
	for (size_t i = 0; i < f.n_seen; i++)
		free(f.seen[i]);
	free(f.seen);
	return f.err;
}
