/*
 * standalone.h - with -DFUZZ_STANDALONE a fuzz target becomes a plain program
 * that replays the input files named on its command line through
 * LLVMFuzzerTestOneInput (the regression inputs run by `make check`).
 */
#ifndef TLSWATCH_FUZZ_STANDALONE_H
#define TLSWATCH_FUZZ_STANDALONE_H
#ifdef FUZZ_STANDALONE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		long n;

		if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
		    fread(buf, 1, (size_t)n, f) != (size_t)n) {
			fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	printf("%s: %d regression inputs replayed\n", argv[0], argc - 1);
	return 0;
}
#endif
#endif
