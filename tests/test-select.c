/* SPDX-License-Identifier: MIT */
/*
 * Device requests (lib/request.c) and the labels file (lib/labels.c): the
 * grammar of directpath-vm(5) — an address has a '.', an ID has none, a
 * label starts with "label:" — and directpath-labels(5): good files load
 * whole, each bad one is refused with its line number and why.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "lease.h"
#include "select.h"
#include "testlog.h"
#include "testrun.h"
#include "tmpdir.h"

static struct dp_ctx *ctx;
static char dir[4096], path[4200];
static struct dp_labels labels;

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent");

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "select"), 0);
	snprintf(path, sizeof(path), "%s/labels.conf", dir);
}

static void teardown(void)
{
	dp_labels_fini(&labels);
	dp_test_remove_tree(dir);
	ctx = dp_ctx_unref(ctx);
}

static int load(const char *text)
{
	FILE *f = fopen(path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	dp_labels_fini(&labels);
	return dp_labels_load(ctx, path, &labels);
}

/* A bad file: -EINVAL, an error naming the file and line and holding why, no labels. */
static void refused(const char *text, unsigned line, const char *why)
{
	char where[4300];
	const char *errs;

	dp_test_log_expect_err();
	ck_assert_int_eq(load(text), -EINVAL);
	errs = dp_test_log_expect_end();
	snprintf(where, sizeof(where), "%s:%u: ", path, line);
	ck_assert_msg(strstr(errs, where) && strstr(errs, why), "\"%s\": want \"%s%s\", got \"%s\"",
		      text, where, why, errs);
	ck_assert_uint_eq(labels.n, 0);
}

START_TEST(addresses_ids_and_labels_parse_each_as_its_kind)
{
	struct dp_request r;

	ck_assert_int_eq(dp_request_parse("03:00.0", &r, NULL, 0), 0);
	ck_assert_int_eq(r.kind, DP_REQUEST_BDF);
	ck_assert_str_eq(r.bdf, "0000:03:00.0");
	ck_assert_int_eq(dp_request_parse("0000:0300", &r, NULL, 0), 0); /* no '.': an ID */
	ck_assert_int_eq(r.kind, DP_REQUEST_ID);
	ck_assert_uint_eq(r.id[0], 0x0000);
	ck_assert_uint_eq(r.id[1], 0x0300);
	ck_assert_uint_eq(r.id[2], DP_ID_ANY);
	ck_assert_uint_eq(r.id[3], DP_ID_ANY);
	ck_assert_int_eq(dp_request_parse("10DE:1b80:1458:3702", &r, NULL, 0), 0);
	ck_assert_int_eq(r.kind, DP_REQUEST_ID);
	ck_assert_uint_eq(r.id[0], 0x10de);
	ck_assert_uint_eq(r.id[1], 0x1b80);
	ck_assert_uint_eq(r.id[2], 0x1458);
	ck_assert_uint_eq(r.id[3], 0x3702);
	ck_assert_int_eq(dp_request_parse("label:gpu-a_1.x", &r, NULL, 0), 0);
	ck_assert_int_eq(r.kind, DP_REQUEST_LABEL);
	ck_assert_str_eq(r.label, "gpu-a_1.x");
	ck_assert_int_eq(dp_request_parse("label:" "abcdefghijabcdefghijabcdefghij12", &r, NULL, 0), 0);
}
END_TEST

START_TEST(malformed_requests_say_why)
{
	static const char *const bad[] = {
		"", "10de", "10de:1b8", "10de:1b800", "10de:1b80:1458", "10de:1b80:1458:370",
		"10de:1b80:1458:37022", "10de-1b80", "g0de:1b80", "10de:1b80:", ":10de:1b80",
		"10de:+b80", "label:", "label:-x", "label:a b", "label:a:b", "LABEL:gpu",
		"label:" "abcdefghijabcdefghijabcdefghij123", "zz:00.0", "03:00", "0000:03:00.8",
	};
	struct dp_request r = { .kind = 99 };
	char why[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(dp_request_parse(bad[i], &r, why, sizeof(why)) == -EINVAL, "\"%s\"", bad[i]);
		ck_assert_msg(why[0], "\"%s\": no reason", bad[i]);
		ck_assert_int_eq(r.kind, 99); /* untouched */
	}
	dp_request_parse("label:a b", &r, why, sizeof(why));
	ck_assert_ptr_nonnull(strstr(why, "label name"));
	dp_request_parse("03:00.9", &r, why, sizeof(why));
	ck_assert_str_eq(why, "not a PCI address (DDDD:BB:DD.F)");
	dp_request_parse("garbage", &r, why, sizeof(why));
	ck_assert_ptr_nonnull(strstr(why, "an ID (VVVV:DDDD or VVVV:DDDD:SSSS:ssss)"));
	/* The public face of the grammar (the CLI's --devices). */
	ck_assert_int_eq(dp_vm_request_check("0000:03:00.0", NULL, 0), 0);
	ck_assert_int_eq(dp_vm_request_check("10de:1b80", why, sizeof(why)), 0);
	ck_assert_int_eq(dp_vm_request_check("label:gpu", why, sizeof(why)), 0);
	ck_assert_int_eq(dp_vm_request_check("03:00", why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "not a PCI address (DDDD:BB:DD.F), an ID"));
	ck_assert_int_eq(dp_vm_request_check(NULL, why, sizeof(why)), -EINVAL);
}
END_TEST

START_TEST(a_good_labels_file_loads_whole)
{
	const struct dp_label *l;

	ck_assert_int_eq(load("# GPUs for the render farm\n[label gpu]\nid = 10de:1b80\n"
			      "id = 10DE:1b81:1458:3702\ndevice = 03:00.0\n\n"
			      "; a comment\n[label nic]\ndevice = 0000:05:00.1\n"), 0);
	ck_assert(labels.present);
	ck_assert_uint_eq(labels.n, 2);
	l = dp_labels_find(&labels, "gpu");
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->line, 2);
	ck_assert_uint_eq(l->n_ids, 2);
	ck_assert_uint_eq(l->ids[1][0], 0x10de);
	ck_assert_uint_eq(l->ids[1][3], 0x3702);
	ck_assert_uint_eq(l->ids[0][2], DP_ID_ANY);
	ck_assert_uint_eq(l->n_bdfs, 1);
	ck_assert_str_eq(l->bdfs[0], "0000:03:00.0");
	l = dp_labels_find(&labels, "nic");
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->line, 8);
	ck_assert_uint_eq(l->n_ids, 0);
	ck_assert_ptr_null(dp_labels_find(&labels, "GPU")); /* names are case-sensitive */
	ck_assert_int_eq(load(""), 0);
	ck_assert_uint_eq(labels.n, 0);
}
END_TEST

START_TEST(no_labels_file_is_no_labels)
{
	labels.present = true;
	ck_assert_int_eq(dp_labels_load(ctx, "/nonexistent/labels.conf", &labels), 0);
	ck_assert_uint_eq(labels.n, 0);
	ck_assert(!labels.present);
}
END_TEST

START_TEST(a_bad_labels_file_is_refused_with_its_line)
{
	refused("[label gpu]\nid = 10de:1b80\nid = 10de\n", 3, "id \"10de\" is not VVVV:DDDD");
	refused("[label gpu]\ndevice = 03:00\n", 2, "device \"03:00\" is not a PCI address");
	refused("[label gpu]\nvendor = 10de\n", 2, "unknown key \"vendor\" in [label gpu] (id, device)");
	refused("id = 10de:1b80\n", 1, "outside a section; put it under [label NAME]");
	refused("[label gpu]\nid = 10de:1b80\n[label gpu]\nid = 10de:1b81\n", 3,
		"label \"gpu\" is already defined at line 1");
	refused("[label gpu]\nid = 10de:1b80\nid = 10DE:1B80\n", 3, "id 10DE:1B80 is listed twice");
	refused("[label gpu]\ndevice = 03:00.0\ndevice = 0000:03:00.0\n", 3,
		"device 0000:03:00.0 is listed twice");
	refused("[label a b]\nid = 10de:1b80\n", 1, "label name \"a b\" is not");
	refused("[label -x]\nid = 10de:1b80\n", 1, "label name \"-x\" is not");
	refused("[labels]\n", 1, "unknown section [labels] (label NAME)");
	refused("[policy]\n", 1, "unknown section [policy]");
	refused("[label gpu]\nid = 10de:1b80\n\n[label empty]\n# nothing\n", 4,
		"label \"empty\" has no id or device line");
	refused("[label gpu]\nid 10de:1b80\n", 2, "");
}
END_TEST

START_TEST(every_line_of_a_label_is_counted)
{
	char *text = malloc(64 * (DP_LABEL_ENTRIES_MAX + 2));
	size_t len;

	ck_assert_ptr_nonnull(text);
	len = (size_t)sprintf(text, "[label many]\n");
	for (int i = 0; i < DP_LABEL_ENTRIES_MAX; i++)
		len += (size_t)sprintf(text + len, "id = 1234:%04x\n", i);
	ck_assert_int_eq(load(text), 0);
	ck_assert_uint_eq(labels.labels[0].n_ids, DP_LABEL_ENTRIES_MAX);
	sprintf(text + len, "device = 03:00.0\n");
	refused(text, DP_LABEL_ENTRIES_MAX + 2, "more than 256 id and device lines");
	free(text);
}
END_TEST

/* A choice among devices tries the next one on -EBUSY: no error is logged for it. */
START_TEST(trying_a_held_lease_is_busy_without_an_error)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent", .run_dir = dir);
	struct dp_lease *held = NULL, *again = (struct dp_lease *)&again;
	struct dp_ctx *c;

	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(c, LOG_DEBUG), 0);
	ck_assert_int_eq(dp_lease_acquire(c, "0000:03:00.0", "web01", &held), 0);
	ck_assert_int_eq(dp_lease_try(c, "0000:03:00.0", "web02", &again), -EBUSY);
	ck_assert_ptr_eq(again, (struct dp_lease *)&again); /* untouched */
	ck_assert(dp_test_logged(LOG_DEBUG, "0000:03:00.0: already leased by VM \"web01\"", NULL));
	dp_lease_release(held);
	ck_assert_int_eq(dp_lease_try(c, "0000:03:00.0", "web02", &again), 0);
	dp_lease_release(again);
	/* The other path still says it as an error. */
	ck_assert_int_eq(dp_lease_acquire(c, "0000:03:00.0", "web01", &held), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_lease_acquire(c, "0000:03:00.0", "web02", &again),
					    "already leased by VM \"web01\""), -EBUSY);
	dp_lease_release(held);
	dp_ctx_unref(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("select");
	TCase *tc = tcase_create("requests and labels");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, addresses_ids_and_labels_parse_each_as_its_kind);
	tcase_add_test(tc, malformed_requests_say_why);
	tcase_add_test(tc, a_good_labels_file_loads_whole);
	tcase_add_test(tc, no_labels_file_is_no_labels);
	tcase_add_test(tc, a_bad_labels_file_is_refused_with_its_line);
	tcase_add_test(tc, every_line_of_a_label_is_counted);
	tcase_add_test(tc, trying_a_held_lease_is_busy_without_an_error);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
