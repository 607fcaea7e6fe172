/* SPDX-License-Identifier: MIT */
/*
 * A handoff's description (dp_handoff_send(3), "DESCRIPTION FORMAT"): what
 * the manager writes parses back to the same entries; every line the grammar
 * does not have, and every whole it forbids, is refused with its reason.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "testrun.h"

#define B1 "0000:01:00.0"
#define B2 "0000:02:00.0"

static char why[256];

static int parse(const char *text, struct dp_handoff_desc *d)
{
	why[0] = '\0';
	return dp_handoff_desc_parse(text, strlen(text), d, why, sizeof(why));
}

/* Refused as malformed (or err), with a reason that holds want. */
static void refused(const char *text, int err, const char *want)
{
	struct dp_handoff_desc d = { 0 };

	ck_assert_msg(parse(text, &d) == err, "accepted or wrong error: %s", text);
	ck_assert_msg(strstr(why, want), "\"%s\" lacks \"%s\"", why, want);
	ck_assert_ptr_null(d.fds);
}

START_TEST(type1_round_trip)
{
	struct dp_handoff_desc d = { .backend = DP_BACKEND_TYPE1 }, back = { 0 };
	char *text = NULL;

	snprintf(d.vm_name, sizeof(d.vm_name), "web 01");
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_CONTAINER, -1, NULL), 0);
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_GROUP, 7, B1), 0);
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_LEASE, -1, B1), 0);
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_LEASE, -1, "0000:01:00.1"), 0);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &text, why, sizeof(why)), 0);
	ck_assert_str_eq(text, "directpath-handoff 1\nbackend type1\nvm web 01\nfds 4\n"
			       "container\ngroup 7\nlease 0000:01:00.0\nlease 0000:01:00.1\nend\n");
	ck_assert_int_eq(parse(text, &back), 0);
	ck_assert_uint_eq(back.backend, DP_BACKEND_TYPE1);
	ck_assert_str_eq(back.vm_name, "web 01");
	ck_assert_uint_eq(back.n_fds, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(back.fds[i].role, d.fds[i].role);
		ck_assert_int_eq(back.fds[i].group, d.fds[i].group);
		ck_assert_str_eq(back.fds[i].bdf, d.fds[i].bdf);
		ck_assert_int_eq(back.fds[i].fd, -1);
	}
	ck_assert_str_eq(back.fds[1].bdf, "7"); /* a group's subject: its number */
	free(text);
	dp_handoff_desc_fini(&d);
	dp_handoff_desc_fini(&back);
}
END_TEST

START_TEST(iommufd_round_trip)
{
	const char *text = "directpath-handoff 1\nbackend iommufd\nvm db\nfds 5\niommufd\n"
			   "device " B1 "\nlease " B1 "\ndevice " B2 "\nlease " B2 "\nend\n";
	struct dp_handoff_desc d = { 0 };
	char *again = NULL;

	ck_assert_int_eq(parse(text, &d), 0);
	ck_assert_uint_eq(d.backend, DP_BACKEND_IOMMUFD);
	ck_assert_uint_eq(d.n_fds, 5);
	ck_assert_uint_eq(d.fds[3].role, DP_HANDOFF_FD_DEVICE);
	ck_assert_str_eq(d.fds[3].bdf, B2);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &again, why, sizeof(why)), 0);
	ck_assert_str_eq(again, text);
	free(again);
	dp_handoff_desc_fini(&d);
}
END_TEST

/* An addition: "add" after the VM, one device's group (or node) and lease, nothing else. */
START_TEST(addition_round_trip)
{
	const char *t1 = "directpath-handoff 1\nbackend type1\nvm web\nadd\nfds 2\ngroup 9\n"
			 "lease " B2 "\nend\n";
	const char *t2 = "directpath-handoff 1\nbackend iommufd\nvm web\nadd\nfds 2\n"
			 "device " B2 "\nlease " B2 "\nend\n";
	struct dp_handoff_desc d = { 0 };
	char *again = NULL;

	ck_assert_int_eq(parse(t1, &d), 0);
	ck_assert(d.add);
	ck_assert_uint_eq(d.n_fds, 2);
	ck_assert_int_eq(d.fds[0].group, 9);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &again, why, sizeof(why)), 0);
	ck_assert_str_eq(again, t1);
	free(again);
	dp_handoff_desc_fini(&d);
	ck_assert_int_eq(parse(t2, &d), 0);
	ck_assert(d.add);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &again, why, sizeof(why)), 0);
	ck_assert_str_eq(again, t2);
	free(again);
	/* Not an addition once "add" goes: then it lacks its iommufd. */
	d.add = false;
	ck_assert_int_eq(dp_handoff_desc_format(&d, &again, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "0 iommufd fds: a iommufd handoff has one"));
	dp_handoff_desc_fini(&d);
}
END_TEST

START_TEST(additions_refused)
{
#define ADD "directpath-handoff 1\nbackend type1\nvm a\nadd\n"
	refused(ADD "fds 3\ncontainer\ngroup 7\nlease " B1 "\nend\n", -EBADMSG,
		"a container fd in an addition");
	refused(ADD "fds 4\ngroup 7\nlease " B1 "\ngroup 8\nlease " B2 "\nend\n", -EBADMSG,
		"2 group fds and 2 leases in an addition: one of each");
	refused(ADD "fds 2\ngroup 7\ngroup 8\nend\n", -EBADMSG, "2 group fds and 0 leases");
	refused("directpath-handoff 1\nbackend iommufd\nvm a\nadd\nfds 3\niommufd\ndevice " B1
		"\nlease " B1 "\nend\n", -EBADMSG, "an iommufd fd in an addition");
	refused(ADD "add\nfds 2\ngroup 7\nlease " B1 "\nend\n", -EBADMSG, "line 5: \"fds N\"");
	refused(ADD "fds 1\n", -EBADMSG, "line 5: \"fds N\" expected");
	refused("directpath-handoff 1\nbackend type1\nadd\nvm a\n", -EBADMSG, "line 3");
	refused("directpath-handoff 1\nbackend type1\nvm a\nadd \nfds 2\n", -EBADMSG, "line 4");
#undef ADD
}
END_TEST

START_TEST(header_refused)
{
	refused("", -EBADMSG, "line 1: missing");
	refused("directpath-handoff 1", -EBADMSG, "line 1: too long, not ended by a newline");
	refused("directpath-handof 1\n", -EBADMSG, "not a directpath handoff");
	refused("directpath-handoff 01\n", -EBADMSG, "version is not a number");
	refused("directpath-handoff 2\nbackend type1\n", -EPROTONOSUPPORT,
		"version 2: this library reads version 1");
	refused("directpath-handoff 1\nbackend vfio\n", -EBADMSG, "line 2");
	refused("directpath-handoff 1\nbackend type1\nvm \n", -EBADMSG, "line 3");
	refused("directpath-handoff 1\nbackend type1\nvm a\"b\n", -EBADMSG, "line 3");
	refused("directpath-handoff 1\nbackend type1\nvm a\nfds 254\n", -EBADMSG,
		"\"fds N\" expected, N from 2 to 253");
	refused("directpath-handoff 1\nbackend type1\nvm a\nfds -3\n", -EBADMSG, "line 4");
}
END_TEST

#define HEAD "directpath-handoff 1\nbackend type1\nvm a\n"

START_TEST(lines_refused)
{
	refused(HEAD "fds 3\ncontainer\ngroup 7\n", -EBADMSG, "line 7: missing");
	refused(HEAD "fds 3\ncontainer\ngroup 07\nlease " B1 "\nend\n", -EBADMSG, "line 6");
	refused(HEAD "fds 3\ncontainer\ngroup 7 \nlease " B1 "\nend\n", -EBADMSG, "line 6");
	refused(HEAD "fds 3\ncontainer x\ngroup 7\nlease " B1 "\nend\n", -EBADMSG, "line 5");
	refused(HEAD "fds 3\ncontainer\ngroup 7\nlease 01:00.0\nend\n", -EBADMSG, "line 7");
	refused(HEAD "fds 3\ncontainer\ngroup 7\nlease 0000:01:00.A\nend\n", -EBADMSG, "line 7");
	refused(HEAD "fds 3\ncontainer\ngroup 7\nlease 0000:01:0A.0\nend\n", -EBADMSG, "line 7");
	refused(HEAD "fds 3\ncontainer\ngroup 7\nlease " B1 "\nend\nend\n", -EBADMSG,
		"nothing after it");
	refused(HEAD "fds 3\ncontainer\ngroup 7\nlease " B1 "\n\n", -EBADMSG, "\"end\" expected");
	refused(HEAD "fds 3\ncontainer\ngroup 7\nlease " B1 "\nend", -EBADMSG, "line 8: too long");
}
END_TEST

START_TEST(nul_refused)
{
	static const char text[] = HEAD "fds 3\ncontainer\ngroup 7\0\nlease " B1 "\nend\n";
	struct dp_handoff_desc d = { 0 };

	ck_assert_int_eq(dp_handoff_desc_parse(text, sizeof(text) - 1, &d, why, sizeof(why)),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "line 6: too long, not ended by a newline, or has a NUL"));
}
END_TEST

START_TEST(wholes_refused)
{
	refused(HEAD "fds 3\ngroup 7\ngroup 8\nlease " B1 "\nend\n", -EBADMSG,
		"0 container fds: a type1 handoff has one");
	refused(HEAD "fds 4\ncontainer\ncontainer\ngroup 8\nlease " B1 "\nend\n", -EBADMSG,
		"fd 1: the same container as fd 0");
	refused(HEAD "fds 3\ncontainer\ngroup 7\ngroup 8\nend\n", -EBADMSG, "no lease");
	refused(HEAD "fds 4\ncontainer\ngroup 7\nlease " B1 "\nlease " B1 "\nend\n", -EBADMSG,
		"fd 3: the same lease as fd 2");
	refused(HEAD "fds 3\ncontainer\ndevice " B1 "\nlease " B1 "\nend\n", -EBADMSG,
		"fd 1: a device has no place in a type1 handoff");
	refused(HEAD "fds 4\ncontainer\ngroup 7\ngroup 8\nlease " B1 "\nend\n", -EBADMSG,
		"2 group fds for 1 devices");
	refused("directpath-handoff 1\nbackend iommufd\nvm a\nfds 3\niommufd\ndevice " B1
		"\nlease " B2 "\nend\n", -EBADMSG, "fd 2: the lease of " B2 ", which has no device fd");
	refused("directpath-handoff 1\nbackend iommufd\nvm a\nfds 4\niommufd\ndevice " B1
		"\nlease " B1 "\nlease " B2 "\nend\n", -EBADMSG, "1 device fds for 2 leases");
}
END_TEST

START_TEST(format_refuses_what_parse_would)
{
	struct dp_handoff_desc d = { .backend = DP_BACKEND_IOMMUFD };
	char *text = NULL;

	snprintf(d.vm_name, sizeof(d.vm_name), "a");
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_IOMMUFD, -1, NULL), 0);
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_LEASE, -1, B1), 0);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &text, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "0 device fds for 1 devices"));
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_DEVICE, -1, "1:0.0"), 0);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &text, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "fd 2: role 4, group -1, BDF \"1:0.0\""));
	d.backend = DP_BACKEND_AUTO;
	ck_assert_int_eq(dp_handoff_desc_format(&d, &text, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_null(text);
	dp_handoff_desc_fini(&d);
	for (int i = 0; i < DP_HANDOFF_FDS_MAX; i++)
		ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_GROUP, i, NULL), 0);
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_GROUP, 999, NULL), -E2BIG);
	dp_handoff_desc_fini(&d);
}
END_TEST

/* The longest description the library can write still parses: 253 fds, the longest name. */
START_TEST(longest_fits)
{
	struct dp_handoff_desc d = { .backend = DP_BACKEND_IOMMUFD }, back = { 0 };
	char *text = NULL;

	memset(d.vm_name, 'x', DP_VM_NAME_MAX);
	ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_IOMMUFD, -1, NULL), 0);
	for (int i = 0; i < (DP_HANDOFF_FDS_MAX - 1) / 2; i++) {
		char bdf[DP_BDF_LEN];

		snprintf(bdf, sizeof(bdf), "ffff:%02x:1f.7", i);
		ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_DEVICE, -1, bdf), 0);
		ck_assert_int_eq(dp_handoff_desc_add(&d, DP_HANDOFF_FD_LEASE, -1, bdf), 0);
	}
	ck_assert_uint_eq(d.n_fds, DP_HANDOFF_FDS_MAX);
	ck_assert_int_eq(dp_handoff_desc_format(&d, &text, why, sizeof(why)), 0);
	ck_assert_int_le(strlen(text), DP_HANDOFF_DESC_MAX);
	ck_assert_int_eq(parse(text, &back), 0);
	ck_assert_uint_eq(back.n_fds, DP_HANDOFF_FDS_MAX);
	free(text);
	dp_handoff_desc_fini(&d);
	dp_handoff_desc_fini(&back);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handoff-desc");
	TCase *tc = tcase_create("desc");

	tcase_add_test(tc, type1_round_trip);
	tcase_add_test(tc, iommufd_round_trip);
	tcase_add_test(tc, addition_round_trip);
	tcase_add_test(tc, additions_refused);
	tcase_add_test(tc, header_refused);
	tcase_add_test(tc, lines_refused);
	tcase_add_test(tc, nul_refused);
	tcase_add_test(tc, wholes_refused);
	tcase_add_test(tc, format_refuses_what_parse_would);
	tcase_add_test(tc, longest_fits);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
