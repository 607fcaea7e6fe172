/* SPDX-License-Identifier: MIT */
/*
 * directpath handoff VMFILE --socket PATH: the manager's side of
 * dp_handoff_open(3). Checks the VM, leases and opens what it needs, sends
 * the fds to the VMM listening on PATH, prints what it sent and exits: the
 * fds, the leases with them, live on in the VMM. With --add BDF, one more
 * device for the attached VM (dp_handoff_open_device(3)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

/* A Unix socket connected to path: SOCK_SEQPACKET, or SOCK_STREAM where the VMM listens on one. */
static int connect_to(const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int types[] = { SOCK_SEQPACKET, SOCK_STREAM };
	int r = -EINVAL;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (size_t i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			*out = fd;
			return 0;
		}
		r = -errno;
		close(fd);
		if (r != -EPROTOTYPE) /* the listener's type differs: try the other */
			break;
	}
	return r;
}

static int print_json(const struct dp_handoff *h, const char *path)
{
	struct json_object *o = json_object_new_object(), *devs = json_object_new_array(),
			   *fds = json_object_new_array();
	int e = !o || !devs || !fds;

	e = e || jadd_str(o, "vm", dp_handoff_get_vm_name(h)) ||
	    jadd_str(o, "backend", dp_backend_name(dp_handoff_get_backend(h))) ||
	    jadd_str(o, "socket", path) ||
	    jadd_bool(o, "addition", dp_handoff_is_addition(h));
	for (size_t i = 0; !e && i < dp_handoff_get_device_count(h); i++)
		e = jarray_add(devs, json_object_new_string(dp_handoff_get_device_bdf(h, i)));
	for (size_t i = 0; !e && i < dp_handoff_get_fd_count(h); i++) {
		struct json_object *f = json_object_new_object();
		uint32_t role = dp_handoff_get_fd_role(h, i);
		const char *subject = dp_handoff_get_fd_subject(h, i);

		e = !f || jadd_str(f, "role", dp_handoff_fd_role_name(role));
		if (!e && role == DP_HANDOFF_FD_GROUP)
			e = jadd_int(f, "group", strtol(subject, NULL, 10));
		else if (!e && subject)
			e = jadd_str(f, "bdf", subject);
		if (e)
			json_object_put(f);
		else
			e = jarray_add(fds, f);
	}
	if (!e) {
		e = jadd(o, "devices", devs, false);
		devs = NULL;
	}
	if (!e) {
		e = jadd(o, "fds", fds, false);
		fds = NULL;
	}
	json_object_put(devs);
	json_object_put(fds);
	if (e) {
		json_object_put(o);
		return oom();
	}
	return json_print(o);
}

static void print_text(const struct dp_handoff *h, const char *path)
{
	printf("Handed over %sVM \"%s\" (%s) to %s: %zu fds\n",
	       dp_handoff_is_addition(h) ? "an addition to " : "", dp_handoff_get_vm_name(h),
	       dp_backend_name(dp_handoff_get_backend(h)), path, dp_handoff_get_fd_count(h));
	for (size_t i = 0; i < dp_handoff_get_fd_count(h); i++) {
		const char *subject = dp_handoff_get_fd_subject(h, i);

		printf("  fd %-3zu %-10s %s\n", i, dp_handoff_fd_role_name(dp_handoff_get_fd_role(h, i)),
		       subject ? subject : "");
	}
}

int cmd_handoff(struct cli *cli, const char *file)
{
	const char *path = opt_value(cli, OPT_SOCKET), *backend = opt_value(cli, OPT_BACKEND);
	const char *add = opt_value(cli, OPT_ADD);
	DP_OPTS(dp_handoff_opts, o, .backend = DP_BACKEND_AUTO);
	struct dp_policy *policy = NULL;
	struct dp_handoff *h = NULL;
	struct dp_vm *vm = NULL;
	unsigned errors = cli->lib_errors;
	int r, sock = -1;

	if (!path)
		return usage_error("handoff", "--socket PATH is needed: where the VMM listens");
	if (backend && dp_backend_from_name(backend, &o.backend) < 0)
		return usage_error("handoff", "--backend: \"%s\" is none of auto, type1, iommufd",
				   backend);
	r = dp_vm_new_from_file(cli->ctx, file, &vm);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot read the VM: %s", file, strerror(-r));
		return EXIT_USAGE;
	}
	r = load_policy(cli, &policy);
	if (r != EXIT_OK)
		goto out;
	errors = cli->lib_errors;
	r = add ? dp_handoff_open_device(policy, vm, add, &o, &h) : dp_handoff_open(policy, vm, &o, &h);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot open its devices: %s", dp_vm_get_name(vm), strerror(-r));
		r = r == -EPERM ? EXIT_DENIED : EXIT_USAGE;
		goto out;
	}
	r = connect_to(path, &sock);
	if (r < 0) {
		err_msg("%s: cannot connect: %s", path, strerror(-r));
		r = EXIT_USAGE;
		goto out;
	}
	errors = cli->lib_errors;
	r = dp_handoff_send(h, sock);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot send: %s", path, strerror(-r));
		r = EXIT_USAGE;
		goto out;
	}
	if (cli->opts & OPT_JSON)
		r = print_json(h, path);
	else {
		print_text(h, path);
		r = EXIT_OK;
	}
out:
	if (sock >= 0)
		close(sock);
	dp_handoff_free(h);
	dp_policy_unref(policy);
	dp_vm_unref(vm);
	return r;
}
