/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plain driver for a libFuzzer target: feeds every file named on the
 * command line (directories: every regular file in them) to
 * LLVMFuzzerTestOneInput once. Used as a test to replay the corpus.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, errors = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			errors++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			errors += run_file(argv[i]) < 0;
			files++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, alphasort);
		for (int j = 0; j < n; j++) {
			size_t len = strlen(argv[i]) + strlen(names[j]->d_name) + 2;
			char *p = malloc(len);
			if (!p)
				abort();
			snprintf(p, len, "%s/%s", argv[i], names[j]->d_name);
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
				errors += run_file(p) < 0;
				files++;
			}
			free(p);
			free(names[j]);
		}
		free(names);
	}
	printf("replayed %d inputs, %d unreadable\n", files, errors);
	return errors || files == 0 ? 1 : 0;
}
