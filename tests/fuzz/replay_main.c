/*
 * replay_main.c - runs a libFuzzer target over files without clang.
 *
 *	replay_NAME DIR|FILE...
 *
 * Feeds each file (each regular file of each directory) to
 * LLVMFuzzerTestOneInput once.  `make test` uses it to replay every seed
 * corpus, so a regression in a parser shows up without a fuzzing toolchain.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger seeds are a mistake in the corpus, not something to feed. */
#define REPLAY_MAX_INPUT (8u * 1024 * 1024)

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n;
	int ret = -1;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX_INPUT)) == NULL)
		goto out;
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "%s: unreadable or larger than %u bytes\n", path, REPLAY_MAX_INPUT);
		goto out;
	}
	/* Copy into an exact-size allocation so ASan sees overreads. */
	{
		uint8_t *exact = malloc(n > 0 ? n : 1);
		if (exact == NULL)
			goto out;
		memcpy(exact, buf, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	ret = 0;
out:
	free(buf);
	fclose(f);
	return ret;
}

int
main(int argc, char **argv)
{
	int count = 0, errors = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			errors += replay_file(argv[i]) != 0;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			char path[4096];
			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name) >=
			    sizeof(path))
				continue;
			errors += replay_file(path) != 0;
			count++;
		}
		closedir(d);
	}
	printf("replayed %d inputs, %d unreadable\n", count, errors);
	return errors != 0 || count == 0;
}
