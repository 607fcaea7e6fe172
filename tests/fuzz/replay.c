/* SPDX-License-Identifier: MIT */
/*
 * Without libFuzzer (no clang): feeds every file of the given directories (or
 * the given files) to LLVMFuzzerTestOneInput once, in name order, so the seed
 * corpus and the regression inputs run under any compiler, ASan or valgrind.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (size == cap) {
			uint8_t *p = realloc(data, cap ? cap * 2 : 4096);

			if (!p)
				abort();
			data = p;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(data + size, 1, cap - size, f);
		if (n == 0)
			break;
		size += n;
	}
	fclose(f);
	/* The name first: a crash then says which input it was. */
	printf("%s (%zu bytes)\n", path, size);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		int n;

		if (!is_dir(argv[i])) {
			if (run_file(argv[i]) < 0)
				failed = 1;
			else
				count++;
			continue;
		}
		n = scandir(argv[i], &names, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];

			if (names[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
				if (!is_dir(path)) {
					if (run_file(path) < 0)
						failed = 1;
					else
						count++;
				}
			}
			free(names[j]);
		}
		free(names);
	}
	printf("%u inputs replayed\n", count);
	if (count == 0) {
		fprintf(stderr, "no inputs\n");
		failed = 1;
	}
	return failed;
}
