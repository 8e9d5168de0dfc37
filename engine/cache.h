/*
 * cache.h - the compiled configuration as bytes, so that a command need
 * not re-parse thousands of people from YAML every time.
 *
 * The engine keeps one file per configuration in HOME/cache/, named and
 * keyed by the blob ids of the config files (so a new configuration is a
 * new key, and an old file can never be mistaken for it).  The cache is
 * derived data like the index: deleting it only costs one YAML parse.
 * verify never uses it.  Pure: bytes in, bytes out.
 *
 * Loading is meant to cost next to nothing even for a province: the
 * image holds the structs, the strings, the id hash maps and the role
 * index ready to use (cache.c describes the layout and what the reader
 * checks).
 */
#ifndef CL_CACHE_H
#define CL_CACHE_H

#include "buf.h"
#include "config.h"
#include "error.h"

#include <stdint.h>

/* Appends cfg, tagged with key (any string), to out. */
void cl_config_pack(cl_buf *out, const cl_config *cfg, const char *key);

/* Rebuilds a config packed with the same key.  CL_EINVALID when the bytes
 * are not such a config (wrong key, version, byte order, truncated,
 * corrupt).  data is copied (once, into one block that the config owns:
 * see cl_config.image), so the caller may free it at once. */
int cl_config_unpack(cl_config **out, const char *data, size_t len,
		     const char *key, cl_error *err);

/* As cl_config_unpack, without the copy: the config's strings, id maps
 * and role index stay where they are in data, which must then stay valid
 * and unchanged, and may be read-only, until the config is freed (a
 * read-only mapping of the cache file, handed over in cl_config.held).
 * Its structs stay there too when data lies at cl_config_cache_base(key);
 * elsewhere they are relocated into a block.  At province size this
 * spares a command filling ~3 MB of fresh memory.  data not 16-byte
 * aligned is copied as by cl_config_unpack. */
int cl_config_unpack_in_place(cl_config **out, const char *data, size_t len,
			      const char *key, cl_error *err);

/* The address a config packed with key means to lie at: an image mapped
 * there (the engine asks for it) is used as it stands, with no copy and
 * nothing written; anywhere else its structs are relocated into fresh
 * memory.  0 where no such address is usable (32-bit). */
uintptr_t cl_config_cache_base(const char *key);

/* Recomputes the checksum of a packed image (len bytes, as packed) after
 * it was edited in place.  For tests: they check that the reader's own
 * bounds checks, not only the checksum, refuse a damaged image. */
void cl_config_cache_reseal(char *image, size_t len);

#endif
