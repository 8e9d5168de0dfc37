/*
 * packfile.h - writing a git pack and its index, for a small set of whole
 * objects.
 *
 * The store writes each group commit's new objects (a handful: a blob,
 * the trees along its path, a commit) as one pack.  libgit2 can do that
 * (git_packbuilder), but it then reads the pack back through its indexer
 * to make the .idx, searches for deltas and re-reads every object: most of
 * a durable transition's CPU time.  Here the objects are written as they
 * are, in stored (uncompressed) zlib streams, never as deltas, and the
 * index is made from what was written.  The store's fold of small packs
 * and `git gc` later pack them compressed, with deltas.
 *
 * Formats (git's Documentation/gitformat-pack): a version 2 pack ("PACK",
 * version, count, entries, SHA-1 of all that) and a version 2 index (magic,
 * version, fan-out table, sorted ids, CRC-32 of each entry, 31-bit offsets
 * with a 64-bit table for the rest, the pack's checksum, the index's own).
 *
 * This module owns zlib and mbed TLS's SHA-1; nothing else uses them.
 */
#ifndef CL_PACKFILE_H
#define CL_PACKFILE_H

#include <stddef.h>

#include "error.h"

typedef struct cl_pack_object {
	unsigned char id[20]; /* the object's id (SHA-1 of its git form) */
	int type;             /* 1 commit, 2 tree, 3 blob, 4 tag (git's codes) */
	const void *data;     /* its contents */
	size_t len;           /* bytes in data */
} cl_pack_object;

/*
 * Writes the n objects (n >= 1, ids distinct, in any order; the array is
 * sorted by id) as DIR/pack-<hex>.pack and DIR/pack-<hex>.idx, where <hex>
 * is the pack's checksum, and puts <hex> (40 digits and a NUL) in name.
 * Each file is written under a temporary name and renamed; the index
 * last, so a reader never finds a pack without its index.  With durable,
 * both files and then DIR are fsynced before it returns.  On failure
 * nothing is left behind but possibly the pack file, which no reader uses
 * without its index.
 */
int cl_pack_write(char name[41], const char *dir, cl_pack_object *objs, size_t n,
		  int durable, cl_error *err);

/*
 * Folds the n packs DIR/pack-<names[i]>.{pack,idx} into one new pack, as
 * cl_pack_write writes it (name gets its checksum), copying each entry's
 * bytes as they are: no object is inflated, looked up or compressed.  An
 * object in two of the packs is written once.  Each entry is checked
 * against its CRC-32 in the old index first.  The old packs are left in
 * place (the caller removes them).
 *
 * Returns 0; CL_EFOLD_COPY, with nothing written, when a pack holds what
 * cannot be copied as it is (a delta, whose base may lie elsewhere, or an
 * index not of version 2): the caller then reads the objects back and
 * writes them with cl_pack_write; or another CL_E* code, with err set
 * (an entry that fails its CRC, a file that cannot be read or written).
 */
#define CL_EFOLD_COPY 1
int cl_pack_fold(char name[41], const char *dir, const char *const *names, size_t n,
		 int durable, cl_error *err);

#endif
