/* SPDX-License-Identifier: MIT */
/* Messages, sizes and JSON: the output every command shares. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "quote.h"

#include "cli.h"

/*
 * A message to stderr with what it quotes made printable (dp_quote, the
 * library's own helper): an argument never drives the terminal.
 */
void put_quoted(const char *format, va_list args)
{
	char *text = NULL, *safe;
	size_t size;

	if (vasprintf(&text, format, args) < 0) {
		fputs("(out of memory)", stderr);
		return;
	}
	size = DP_QUOTE_SIZE(strlen(text));
	safe = malloc(size);
	fputs(safe ? dp_quote(safe, size, text) : "(out of memory)", stderr);
	free(safe);
	free(text);
}

void err_msg(const char *format, ...)
{
	va_list args;

	fputs("directpath: ", stderr);
	va_start(args, format);
	put_quoted(format, args);
	va_end(args);
	fputc('\n', stderr);
}

/* "8 MiB", "1.5 GiB", "96 B": exact when it is, one decimal when not. */
const char *fmt_size(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned u = 0;
	uint64_t div = 1;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && v / div >= 1024) {
		div *= 1024;
		u++;
	}
	if (v % div == 0)
		snprintf(buf, len, "%" PRIu64 " %s", v / div, units[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)v / (double)div,
			 units[u]);
	return buf;
}

const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* JSON building: each helper returns 0 or -1, and never leaks the value. */
int jadd(struct json_object *obj, const char *key,
	 struct json_object *val, bool may_be_null)
{
	if (!val && !may_be_null)
		return -1;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

int jadd_str(struct json_object *obj, const char *key, const char *s)
{
	return jadd(obj, key, s ? json_object_new_string(s) : NULL, !s);
}

int jadd_int(struct json_object *obj, const char *key, int64_t v)
{
	return jadd(obj, key, json_object_new_int64(v), false);
}

int jadd_uint(struct json_object *obj, const char *key, uint64_t v)
{
	return jadd(obj, key, json_object_new_uint64(v), false);
}

/* A number, or null when the value is unknown (negative). */
int jadd_int_or_null(struct json_object *obj, const char *key,
		     int64_t v)
{
	return v < 0 ? jadd(obj, key, NULL, true) : jadd_int(obj, key, v);
}

int jadd_bool(struct json_object *obj, const char *key, bool v)
{
	return jadd(obj, key, json_object_new_boolean(v), false);
}

/* IDs and class codes as lspci writes them: lower-case hex, fixed width. */
int jadd_hex(struct json_object *obj, const char *key, int width,
	     uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*" PRIx32, width, v);
	return jadd_str(obj, key, buf);
}

int jarray_add(struct json_object *arr, struct json_object *val)
{
	if (!val)
		return -1;
	if (json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

/*
 * obj with "schema_version" (data/schema, directpath(8)) as its first key;
 * frees obj, NULL when out of memory.
 */
static struct json_object *stamp_object(struct json_object *obj)
{
	struct json_object *o = json_object_new_object();

	if (!o || jadd_str(o, "schema_version", DP_JSON_SCHEMA_VERSION)) {
		json_object_put(o);
		json_object_put(obj);
		return NULL;
	}
	json_object_object_foreach(obj, key, val) {
		if (jadd(o, key, json_object_get(val), true)) {
			json_object_put(o);
			json_object_put(obj);
			return NULL;
		}
	}
	json_object_put(obj);
	return o;
}

/*
 * Every document carries the schema's version: an object as a key of its
 * own, an array (list, features, policy --compat) in each of its objects,
 * for a key added to an element keeps the document's shape.
 */
static struct json_object *stamp(struct json_object *obj)
{
	if (!json_object_is_type(obj, json_type_array))
		return stamp_object(obj);
	for (size_t i = 0; i < json_object_array_length(obj); i++) {
		struct json_object *el = json_object_array_get_idx(obj, i), *s;

		if (!json_object_is_type(el, json_type_object))
			continue;
		s = stamp_object(json_object_get(el));
		if (!s || json_object_array_put_idx(obj, i, s) < 0) {
			json_object_put(s);
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

/* Prints and frees obj, stamped; 0, or EXIT_USAGE when it could not be serialized. */
int json_print(struct json_object *obj)
{
	const char *s;
	int r = EXIT_OK;

	obj = stamp(obj);
	if (!obj)
		return oom();
	s = json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);

	if (s)
		puts(s);
	else {
		err_msg("cannot format JSON: out of memory");
		r = EXIT_USAGE;
	}
	json_object_put(obj);
	return r;
}

int oom(void)
{
	err_msg("out of memory");
	return EXIT_USAGE;
}
