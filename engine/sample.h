/*
 * sample.h - the bundled sample programme, compiled into the binary from
 * workflows/three-level.yaml and the files under records/sample/ at build time.
 */
#ifndef CL_SAMPLE_H
#define CL_SAMPLE_H

#include <stddef.h>

typedef struct cl_sample_file {
	const char *name; /* base name, e.g. "org.yaml"; NULL ends the table */
	const char *data; /* contents, NUL-terminated */
	size_t len;       /* bytes, without the NUL */
} cl_sample_file;

extern const cl_sample_file cl_sample_files[];

#endif
