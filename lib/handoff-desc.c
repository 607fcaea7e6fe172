/* SPDX-License-Identifier: MIT */
/*
 * A handoff's description (dp_handoff_send(3), "DESCRIPTION FORMAT"): lines
 * of text, one per fd in the message's order between a header and "end".
 * The receiver parses it as untrusted input: every line exact, every number
 * bounded, and the whole consistent before any fd is looked at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"

static const char *const role_words[] = {
	[DP_HANDOFF_FD_CONTAINER] = "container", [DP_HANDOFF_FD_GROUP] = "group",
	[DP_HANDOFF_FD_IOMMUFD] = "iommufd",     [DP_HANDOFF_FD_DEVICE] = "device",
	[DP_HANDOFF_FD_LEASE] = "lease",
};
#define ROLE_LAST DP_HANDOFF_FD_LEASE
/* Group numbers: the kernel's are an int's; the description's are bounded below that. */
#define GROUP_MAX 999999999

int dp_handoff_desc_add(struct dp_handoff_desc *d, uint32_t role, int group, const char *bdf)
{
	struct dp_handoff_fd *f;

	if (d->n_fds >= DP_HANDOFF_FDS_MAX)
		return -E2BIG;
	f = realloc(d->fds, (d->n_fds + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	d->fds = f;
	f = &d->fds[d->n_fds++];
	*f = (struct dp_handoff_fd){ .role = role, .group = group, .fd = -1 };
	if (role == DP_HANDOFF_FD_GROUP)
		snprintf(f->bdf, sizeof(f->bdf), "%d", group);
	else if (bdf)
		snprintf(f->bdf, sizeof(f->bdf), "%s", bdf);
	return 0;
}

void dp_handoff_desc_fini(struct dp_handoff_desc *d)
{
	free(d->fds);
	d->fds = NULL;
	d->n_fds = 0;
}

static bool parse_bdf(const char *s, char out[DP_BDF_LEN]);

#define WHY(...) (snprintf(why, size, __VA_ARGS__), -EBADMSG)

/* The whole: one container and groups (type1) or one iommufd and devices, a lease per device. */
static int check_whole(const struct dp_handoff_desc *d, char *why, size_t size)
{
	uint32_t base = d->backend == DP_BACKEND_TYPE1 ? DP_HANDOFF_FD_CONTAINER : DP_HANDOFF_FD_IOMMUFD;
	uint32_t per = d->backend == DP_BACKEND_TYPE1 ? DP_HANDOFF_FD_GROUP : DP_HANDOFF_FD_DEVICE;
	size_t n_base = 0, n_per = 0, n_lease = 0;

	for (size_t i = 0; i < d->n_fds; i++) {
		const struct dp_handoff_fd *f = &d->fds[i];

		if (f->role != base && f->role != per && f->role != DP_HANDOFF_FD_LEASE)
			return WHY("fd %zu: a %s has no place in a %s handoff", i, role_words[f->role],
				   d->backend == DP_BACKEND_TYPE1 ? "type1" : "iommufd");
		n_base += f->role == base;
		n_per += f->role == per;
		n_lease += f->role == DP_HANDOFF_FD_LEASE;
		for (size_t j = 0; j < i; j++) {
			const struct dp_handoff_fd *g = &d->fds[j];

			if (g->role == f->role && g->group == f->group && strcmp(g->bdf, f->bdf) == 0)
				return WHY("fd %zu: the same %s as fd %zu", i, role_words[f->role], j);
		}
	}
	if (d->add) {
		/* One device: its group's fd or its node, and its lease; the VMM has the rest. */
		if (n_base != 0)
			return WHY("%s fd in an addition: the VMM has its own",
				   base == DP_HANDOFF_FD_CONTAINER ? "a container" : "an iommufd");
		if (n_lease != 1 || n_per != 1)
			return WHY("%zu %s fds and %zu leases in an addition: one of each", n_per,
				   role_words[per], n_lease);
	} else if (n_base != 1)
		return WHY("%zu %s fds: a %s handoff has one", n_base, role_words[base],
			   d->backend == DP_BACKEND_TYPE1 ? "type1" : "iommufd");
	if (n_lease == 0)
		return WHY("no lease: a handoff is for at least one device");
	if (n_per == 0 || n_per > n_lease)
		return WHY("%zu %s fds for %zu devices", n_per, role_words[per], n_lease);
	if (d->backend == DP_BACKEND_IOMMUFD) {
		/* Each device's node and its lease, and nothing else. */
		if (n_per != n_lease)
			return WHY("%zu device fds for %zu leases: one each", n_per, n_lease);
		for (size_t i = 0; i < d->n_fds; i++) {
			bool found = false;

			if (d->fds[i].role != DP_HANDOFF_FD_LEASE)
				continue;
			for (size_t j = 0; j < d->n_fds && !found; j++)
				found = d->fds[j].role == DP_HANDOFF_FD_DEVICE &&
					strcmp(d->fds[j].bdf, d->fds[i].bdf) == 0;
			if (!found)
				return WHY("fd %zu: the lease of %s, which has no device fd", i,
					   d->fds[i].bdf);
		}
	}
	return 0;
}

int dp_handoff_desc_format(const struct dp_handoff_desc *d, char **out, char *why, size_t size)
{
	size_t cap = DP_HANDOFF_DESC_MAX, len;
	char *text;
	int r;

	if (d->backend != DP_BACKEND_TYPE1 && d->backend != DP_BACKEND_IOMMUFD)
		return snprintf(why, size, "backend %u is neither type1 nor iommufd", d->backend),
		       -EINVAL;
	if (!dp_vm_name_valid(d->vm_name)) {
		snprintf(why, size, "the VM name is not one dp_vm_new takes");
		return -EINVAL;
	}
	for (size_t i = 0; i < d->n_fds; i++) {
		const struct dp_handoff_fd *f = &d->fds[i];
		char bdf[DP_BDF_LEN];

		if (f->role < DP_HANDOFF_FD_CONTAINER || f->role > ROLE_LAST ||
		    (f->role == DP_HANDOFF_FD_GROUP && (f->group < 0 || f->group > GROUP_MAX)) ||
		    ((f->role == DP_HANDOFF_FD_DEVICE || f->role == DP_HANDOFF_FD_LEASE) &&
		     !parse_bdf(f->bdf, bdf))) {
			snprintf(why, size, "fd %zu: role %u, group %d, BDF \"%s\": not one the grammar has",
				 i, f->role, f->group, f->bdf);
			return -EINVAL;
		}
	}
	r = check_whole(d, why, size);
	if (r < 0)
		return -EINVAL;
	text = malloc(cap);
	if (!text)
		return -ENOMEM;
	len = (size_t)snprintf(text, cap, DP_HANDOFF_MAGIC " %d\nbackend %s\nvm %s\n%sfds %zu\n",
			       DP_HANDOFF_VERSION,
			       d->backend == DP_BACKEND_TYPE1 ? "type1" : "iommufd", d->vm_name,
			       d->add ? "add\n" : "", d->n_fds);
	for (size_t i = 0; i < d->n_fds && len < cap; i++) {
		const struct dp_handoff_fd *f = &d->fds[i];

		if (f->role == DP_HANDOFF_FD_GROUP)
			len += (size_t)snprintf(text + len, cap - len, "group %d\n", f->group);
		else if (f->role == DP_HANDOFF_FD_DEVICE || f->role == DP_HANDOFF_FD_LEASE)
			len += (size_t)snprintf(text + len, cap - len, "%s %s\n", role_words[f->role],
						f->bdf);
		else
			len += (size_t)snprintf(text + len, cap - len, "%s\n", role_words[f->role]);
	}
	if (len < cap)
		len += (size_t)snprintf(text + len, cap - len, "end\n");
	if (len >= cap) {
		free(text);
		snprintf(why, size, "longer than %d bytes", DP_HANDOFF_DESC_MAX);
		return -EINVAL;
	}
	*out = text;
	return 0;
}

/* The next line of text (without its newline) into line; false at the end or with no newline. */
static bool next_line(const char **p, const char *end, char *line, size_t size, bool *bad)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	*bad = false;
	if (*p == end)
		return false;
	if (!nl || (size_t)(nl - *p) >= size || memchr(*p, '\0', (size_t)(nl - *p))) {
		*bad = true;
		return false;
	}
	memcpy(line, *p, (size_t)(nl - *p));
	line[nl - *p] = '\0';
	*p = nl + 1;
	return true;
}

/* A decimal number in [min, max] with no sign, no leading zero, nothing after. */
static bool parse_num(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return false;
	for (; *s; s++)
		v = v * 10 + (*s - '0');
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "BBBB:bb:dd.f" exactly as the library writes one (normalised, lower case). */
static bool parse_bdf(const char *s, char out[DP_BDF_LEN])
{
	char norm[DP_BDF_LEN];

	if (strlen(s) >= DP_BDF_LEN || dp_bdf_normalize(s, norm) < 0 || strcmp(norm, s) != 0)
		return false;
	memcpy(out, norm, DP_BDF_LEN);
	return true;
}

static int parse_fd_line(const char *line, struct dp_handoff_fd *f)
{
	const char *sp = strchr(line, ' ');
	size_t word = sp ? (size_t)(sp - line) : strlen(line);
	long v;

	*f = (struct dp_handoff_fd){ .group = -1, .fd = -1 };
	for (uint32_t r = DP_HANDOFF_FD_CONTAINER; r <= ROLE_LAST; r++)
		if (strlen(role_words[r]) == word && strncmp(line, role_words[r], word) == 0)
			f->role = r;
	switch (f->role) {
	case DP_HANDOFF_FD_CONTAINER:
	case DP_HANDOFF_FD_IOMMUFD:
		return sp ? -EBADMSG : 0;
	case DP_HANDOFF_FD_GROUP:
		if (!sp || !parse_num(sp + 1, 0, GROUP_MAX, &v))
			return -EBADMSG;
		f->group = (int)v;
		snprintf(f->bdf, sizeof(f->bdf), "%d", f->group);
		return 0;
	case DP_HANDOFF_FD_DEVICE:
	case DP_HANDOFF_FD_LEASE:
		return sp && parse_bdf(sp + 1, f->bdf) ? 0 : -EBADMSG;
	default:
		return -EBADMSG;
	}
}

int dp_handoff_desc_parse(const char *text, size_t len, struct dp_handoff_desc *out, char *why,
			  size_t size)
{
	struct dp_handoff_desc d = { 0 };
	const char *p = text, *end = text + len;
	char line[DP_VM_NAME_MAX + 8];
	size_t n_line = 0;
	long n = 0;
	bool bad;
	int r;

	if (len > DP_HANDOFF_DESC_MAX)
		return WHY("%zu bytes: longer than %d", len, DP_HANDOFF_DESC_MAX);
#define NEXT()                                                                          \
	do {                                                                            \
		n_line++;                                                               \
		if (!next_line(&p, end, line, sizeof(line), &bad)) {                    \
			r = WHY("line %zu: %s", n_line,                                 \
				bad ? "too long, not ended by a newline, or has a NUL" : \
				      "missing: the description ends early");           \
			goto err;                                                       \
		}                                                                       \
	} while (0)
	NEXT();
	if (strncmp(line, DP_HANDOFF_MAGIC " ", sizeof(DP_HANDOFF_MAGIC)) != 0) {
		r = WHY("line 1: not a directpath handoff (\"" DP_HANDOFF_MAGIC " N\" expected)");
		goto err;
	}
	if (!parse_num(line + sizeof(DP_HANDOFF_MAGIC), 0, 1000000, &n)) {
		r = WHY("line 1: the version is not a number");
		goto err;
	}
	if (n != DP_HANDOFF_VERSION) {
		snprintf(why, size, "version %ld: this library reads version %d", n,
			 DP_HANDOFF_VERSION);
		r = -EPROTONOSUPPORT;
		goto err;
	}
	NEXT();
	if (strcmp(line, "backend type1") == 0)
		d.backend = DP_BACKEND_TYPE1;
	else if (strcmp(line, "backend iommufd") == 0)
		d.backend = DP_BACKEND_IOMMUFD;
	else {
		r = WHY("line 2: \"backend type1\" or \"backend iommufd\" expected");
		goto err;
	}
	NEXT();
	if (strncmp(line, "vm ", 3) != 0 || !dp_vm_name_valid(line + 3)) {
		r = WHY("line 3: \"vm NAME\" expected, NAME as dp_vm_new takes it");
		goto err;
	}
	memcpy(d.vm_name, line + 3, strlen(line + 3) + 1); /* valid: at most DP_VM_NAME_MAX */
	NEXT();
	if (strcmp(line, "add") == 0) { /* an addition: one more device for the attached VM */
		d.add = true;
		NEXT();
	}
	if (strncmp(line, "fds ", 4) != 0 || !parse_num(line + 4, 2, DP_HANDOFF_FDS_MAX, &n)) {
		r = WHY("line %zu: \"fds N\" expected, N from 2 to %d", n_line, DP_HANDOFF_FDS_MAX);
		goto err;
	}
	d.fds = calloc((size_t)n, sizeof(*d.fds));
	if (!d.fds) {
		r = -ENOMEM;
		snprintf(why, size, "out of memory");
		goto err;
	}
	for (long i = 0; i < n; i++) {
		NEXT();
		if (parse_fd_line(line, &d.fds[i]) < 0) {
			r = WHY("line %zu: \"container\", \"iommufd\", \"group N\", \"device BDF\" or \"lease BDF\" expected",
				n_line);
			goto err;
		}
		d.n_fds++;
	}
	NEXT();
	if (strcmp(line, "end") != 0 || p != end) {
		r = WHY("line %zu: \"end\" expected, and nothing after it", n_line);
		goto err;
	}
#undef NEXT
	r = check_whole(&d, why, size);
	if (r < 0)
		goto err;
	*out = d;
	return 0;
err:
	dp_handoff_desc_fini(&d);
	return r;
}
