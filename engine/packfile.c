/*
 * packfile.c - a git pack and its index for a few whole objects (see
 * packfile.h for why and for the formats).
 */
#include "packfile.h"
#include "buf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/sha1.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZLIB_CONST /* next_in points at const data */
#include <zlib.h>

#define PACK_SHA1 20

static void put_be32(cl_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	cl_buf_put(b, x, sizeof(x));
}

static void put_be64(cl_buf *b, uint64_t v)
{
	put_be32(b, (uint32_t)(v >> 32));
	put_be32(b, (uint32_t)v);
}

/* mbed TLS rather than OpenSSL: its SHA-1 needs no set-up, where
 * OpenSSL 3's first digest in a process builds its provider and method
 * tables, some 1.5 ms of every write command. */
static int sha1(unsigned char out[PACK_SHA1], const void *data, size_t len)
{
	return mbedtls_sha1_ret(data, len, out) == 0 ? 0 : -1;
}

/* An entry's header: type and size, size in little-endian groups of 7
 * bits after the first 4, the high bit saying another byte follows. */
static void put_entry_header(cl_buf *b, int type, size_t size)
{
	unsigned char x[16];
	size_t n = 0;

	x[n] = (unsigned char)(((unsigned)type << 4) | (size & 0x0f));
	size >>= 4;
	while (size) {
		x[n++] |= 0x80;
		x[n] = (unsigned char)(size & 0x7f);
		size >>= 7;
	}
	cl_buf_put(b, x, n + 1);
}

static int by_id(const void *a, const void *b)
{
	return memcmp(((const cl_pack_object *)a)->id, ((const cl_pack_object *)b)->id,
		      PACK_SHA1);
}

/* Appends obj's entry to pack as a zlib stream made through z (one stream
 * for the whole pack, reset per object: compress2() would set up and tear
 * down zlib's state for each); its CRC-32 goes to *crc. */
static int pack_entry(cl_buf *pack, uint32_t *crc, z_stream *z, const cl_pack_object *obj)
{
	size_t start = pack->size;
	uLong bound;

	if (obj->len > (size_t)UINT_MAX / 2 || deflateReset(z) != Z_OK)
		return -1;
	put_entry_header(pack, obj->type, obj->len);
	bound = deflateBound(z, (uLong)obj->len);
	cl_buf_grow(pack, bound);
	z->next_in = (const Bytef *)obj->data;
	z->avail_in = (uInt)obj->len;
	z->next_out = (Bytef *)pack->ptr + pack->size;
	z->avail_out = (uInt)bound;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return -1;
	pack->size += bound - z->avail_out;
	*crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)pack->ptr + start,
			       (uInt)(pack->size - start));
	return 0;
}

static void pack_index(cl_buf *idx, const cl_pack_object *objs, size_t n,
		       const uint32_t *crcs, const uint64_t *offs,
		       const unsigned char sum[PACK_SHA1])
{
	uint32_t fan = 0, big = 0;
	size_t i, j = 0;

	cl_buf_put(idx, "\377tOc", 4);
	put_be32(idx, 2);
	for (i = 0; i < 256; i++) {
		while (j < n && objs[j].id[0] == i) {
			j++;
			fan++;
		}
		put_be32(idx, fan);
	}
	for (i = 0; i < n; i++)
		cl_buf_put(idx, objs[i].id, PACK_SHA1);
	for (i = 0; i < n; i++)
		put_be32(idx, crcs[i]);
	for (i = 0; i < n; i++)
		put_be32(idx, offs[i] < 0x80000000u ? (uint32_t)offs[i] : (0x80000000u | big++));
	for (i = 0; i < n; i++)
		if (offs[i] >= 0x80000000u)
			put_be64(idx, offs[i]);
	cl_buf_put(idx, sum, PACK_SHA1);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), error;

	if (fd < 0)
		return -1;
	error = fsync(fd);
	close(fd);
	return error;
}

/* Writes data to a temporary file in dir and renames it to final. */
static int pack_file(const char *dir, const char *final, const cl_buf *data, int durable)
{
	cl_buf tmp = CL_BUF_INIT;
	size_t done = 0;
	ssize_t w;
	int fd, error = -1;

	cl_buf_printf(&tmp, "%s/tmp_chainlog_XXXXXX", dir);
	if ((fd = mkstemp(tmp.ptr)) < 0)
		goto done;
	while (done < data->size) {
		w = write(fd, data->ptr + done, data->size - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done == data->size && fchmod(fd, 0444) == 0 && (!durable || fsync(fd) == 0))
		error = 0;
	if (close(fd) < 0)
		error = -1;
	if (!error)
		error = rename(tmp.ptr, final);
	if (error)
		unlink(tmp.ptr);
done:
	cl_buf_release(&tmp);
	return error;
}

/*
 * Ends pack (header and entries, the n objects sorted by id at offs with
 * their crcs): its checksum, its index, both files written and renamed
 * (the index last) and, with durable, synced with dir.  0 or -1, err set.
 */
static int pack_finish(char name[41], const char *dir, cl_buf *pack,
		       const cl_pack_object *objs, size_t n, const uint32_t *crcs,
		       const uint64_t *offs, int durable, cl_error *err)
{
	cl_buf idx = CL_BUF_INIT, path = CL_BUF_INIT;
	unsigned char sum[PACK_SHA1], isum[PACK_SHA1];
	size_t i;
	int error = -1;

	if (sha1(sum, pack->ptr, pack->size) < 0) {
		cl_error_set(err, CL_ESTORE, "cannot checksum a pack");
		goto done;
	}
	cl_buf_put(pack, sum, PACK_SHA1);
	pack_index(&idx, objs, n, crcs, offs, sum);
	if (sha1(isum, idx.ptr, idx.size) < 0) {
		cl_error_set(err, CL_ESTORE, "cannot checksum a pack index");
		goto done;
	}
	cl_buf_put(&idx, isum, PACK_SHA1);
	for (i = 0; i < PACK_SHA1; i++)
		snprintf(name + 2 * i, 3, "%02x", sum[i]);
	cl_buf_printf(&path, "%s/pack-%s.pack", dir, name);
	if (pack_file(dir, path.ptr, pack, durable) < 0)
		goto fail;
	cl_buf_clear(&path);
	cl_buf_printf(&path, "%s/pack-%s.idx", dir, name);
	if (pack_file(dir, path.ptr, &idx, durable) < 0 || (durable && fsync_dir(dir) < 0))
		goto fail;
	error = 0;
	goto done;
fail:
	cl_error_set(err, CL_ESTORE, "cannot write a pack in '%s': %s", dir, strerror(errno));
done:
	cl_buf_release(&idx);
	cl_buf_release(&path);
	return error;
}

int cl_pack_write(char name[41], const char *dir, cl_pack_object *objs, size_t n,
		  int durable, cl_error *err)
{
	cl_buf pack = CL_BUF_INIT;
	uint32_t *crcs = NULL;
	uint64_t *offs = NULL;
	z_stream z;
	size_t i;
	int error = -1, zinit = 0;

	memset(&z, 0, sizeof(z));
	if (!n || n > UINT32_MAX)
		return cl_error_set(err, CL_EINTERNAL, "a pack of %zu objects", n);
	qsort(objs, n, sizeof(*objs), by_id);
	crcs = cl_xmalloc(cl_xmul(n, sizeof(*crcs)));
	offs = cl_xmalloc(cl_xmul(n, sizeof(*offs)));
	cl_buf_put(&pack, "PACK", 4);
	put_be32(&pack, 2);
	put_be32(&pack, (uint32_t)n);
	/* stored, not compressed: these packs live until `git gc`, which
	 * compresses and deltifies them (a fold copies entries as they
	 * are).  A group's objects are mostly trees, whose 20-byte ids do
	 * not compress, and even zlib's fastest level cost a served
	 * transition ~9% of its CPU.  A small hash (memLevel 1): a stored
	 * stream never uses it, and deflateReset clears it per object. */
	if (deflateInit2(&z, Z_NO_COMPRESSION, Z_DEFLATED, 15, 1, Z_DEFAULT_STRATEGY) != Z_OK) {
		cl_error_set(err, CL_ESTORE, "cannot compress an object for a pack");
		goto done;
	}
	zinit = 1;
	for (i = 0; i < n; i++) {
		if (i && !memcmp(objs[i].id, objs[i - 1].id, PACK_SHA1)) {
			cl_error_set(err, CL_EINTERNAL, "an object twice in one pack");
			goto done;
		}
		offs[i] = pack.size;
		if (pack_entry(&pack, &crcs[i], &z, &objs[i]) < 0) {
			cl_error_set(err, CL_ESTORE, "cannot compress an object for a pack");
			goto done;
		}
	}
	error = pack_finish(name, dir, &pack, objs, n, crcs, offs, durable, err);
done:
	if (zinit)
		deflateEnd(&z);
	free(crcs);
	free(offs);
	cl_buf_release(&pack);
	return error < 0 ? (err->code ? err->code : CL_ESTORE) : 0;
}

/* A file mapped whole, read-only. */
typedef struct pack_map {
	const unsigned char *p;
	size_t len;
} pack_map;

static int pack_map_open(pack_map *m, const char *path)
{
	struct stat sb;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	m->p = NULL;
	m->len = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || sb.st_size <= 0) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	m->p = p;
	m->len = (size_t)sb.st_size;
	return 0;
}

static void pack_map_close(pack_map *m)
{
	if (m->p)
		munmap((void *)m->p, m->len);
	m->p = NULL;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One entry to copy: where its bytes are, and what the index says. */
typedef struct fold_entry {
	unsigned char id[PACK_SHA1];
	uint32_t crc;
	const unsigned char *at; /* in a mapped pack */
	size_t len;
	uint64_t off;            /* in a pack: the old one, then the new */
} fold_entry;

static int fold_by_off(const void *a, const void *b)
{
	uint64_t x = ((const fold_entry *)a)->off, y = ((const fold_entry *)b)->off;

	return x < y ? -1 : x > y;
}

static int fold_by_id(const void *a, const void *b)
{
	int c = memcmp(((const fold_entry *)a)->id, ((const fold_entry *)b)->id, PACK_SHA1);

	/* equal ids: the earlier pack's first, the one kept */
	if (!c)
		c = ((const fold_entry *)a)->at < ((const fold_entry *)b)->at ? -1 : 1;
	return c;
}

/* Appends the entries of one mapped pack and its index to *e (*n of *cap):
 * 0, CL_EFOLD_COPY when they cannot be copied as they are, or -1 for a
 * pack that does not agree with its index. */
static int fold_read(fold_entry **e, size_t *n, size_t *cap, const pack_map *pack,
		     const pack_map *idx)
{
	const unsigned char *ids, *crcs, *offs;
	size_t count, i, first = *n;

	if (idx->len < 8 + 256 * 4 || memcmp(idx->p, "\377tOc\0\0\0\2", 8) != 0)
		return CL_EFOLD_COPY;
	count = get_be32(idx->p + 8 + 255 * 4);
	/* no 64-bit offsets: a pack this small has none */
	if (idx->len != 8 + 256 * 4 + count * 28 + 2 * PACK_SHA1)
		return CL_EFOLD_COPY;
	if (pack->len < 12 + PACK_SHA1 || memcmp(pack->p, "PACK\0\0\0\2", 8) != 0 ||
	    get_be32(pack->p + 8) != count)
		return -1;
	if (!count) /* nothing in it to copy */
		return 0;
	ids = idx->p + 8 + 256 * 4;
	crcs = ids + count * PACK_SHA1;
	offs = crcs + count * 4;
	if (*n + count > *cap) {
		*cap = 2 * (*n + count);
		*e = cl_xrealloc(*e, cl_xmul(*cap, sizeof(**e)));
	}
	for (i = 0; i < count; i++) {
		fold_entry *x = &(*e)[*n + i];

		memcpy(x->id, ids + i * PACK_SHA1, PACK_SHA1);
		x->crc = get_be32(crcs + 4 * i);
		x->off = get_be32(offs + 4 * i);
		if (x->off & 0x80000000u)
			return CL_EFOLD_COPY;
	}
	*n += count;
	/* an entry ends where the next begins, the last at the checksum */
	qsort(*e + first, count, sizeof(**e), fold_by_off);
	for (i = first; i < *n; i++) {
		fold_entry *x = &(*e)[i];
		uint64_t end = i + 1 < *n ? (*e)[i + 1].off : pack->len - PACK_SHA1;
		int type;

		if (x->off < 12 || end <= x->off || end > pack->len - PACK_SHA1 ||
		    (i > first && x->off == (*e)[i - 1].off))
			return -1;
		x->at = pack->p + x->off;
		x->len = (size_t)(end - x->off);
		type = (x->at[0] >> 4) & 7;
		if (type < 1 || type > 4) /* a delta, or no object */
			return CL_EFOLD_COPY;
		if ((uint32_t)crc32(crc32(0L, Z_NULL, 0), x->at, (uInt)x->len) != x->crc)
			return -1;
	}
	return 0;
}

int cl_pack_fold(char name[41], const char *dir, const char *const *names, size_t n,
		 int durable, cl_error *err)
{
	pack_map *maps = cl_xcalloc(cl_xmul(n ? n : 1, 2), sizeof(*maps));
	cl_pack_object *objs = NULL;
	fold_entry *e = NULL;
	cl_buf path = CL_BUF_INIT, pack = CL_BUF_INIT;
	uint32_t *crcs = NULL;
	uint64_t *offs = NULL;
	size_t ne = 0, cap = 0, i, k, total = 12;
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		cl_buf_clear(&path);
		cl_buf_printf(&path, "%s/pack-%s.pack", dir, names[i]);
		if (pack_map_open(&maps[2 * i], path.ptr) < 0) {
			error = cl_error_set(err, CL_ESTORE, "cannot read '%s': %s", path.ptr,
					     strerror(errno));
			break;
		}
		cl_buf_clear(&path);
		cl_buf_printf(&path, "%s/pack-%s.idx", dir, names[i]);
		if (pack_map_open(&maps[2 * i + 1], path.ptr) < 0) {
			error = cl_error_set(err, CL_ESTORE, "cannot read '%s': %s", path.ptr,
					     strerror(errno));
			break;
		}
		error = fold_read(&e, &ne, &cap, &maps[2 * i], &maps[2 * i + 1]);
		if (error < 0)
			error = cl_error_set(err, CL_ESTORE,
					     "pack-%s.pack does not agree with its index",
					     names[i]);
	}
	if (error)
		goto done;
	if (!ne || ne > UINT32_MAX) {
		error = cl_error_set(err, CL_EINTERNAL, "a fold of %zu objects", ne);
		goto done;
	}
	/* sorted by id, each id once (the first pack's copy) */
	qsort(e, ne, sizeof(*e), fold_by_id);
	for (i = 0, k = 0; i < ne; i++)
		if (!k || memcmp(e[k - 1].id, e[i].id, PACK_SHA1))
			e[k++] = e[i];
	ne = k;
	for (i = 0; i < ne; i++)
		total += e[i].len;
	objs = cl_xcalloc(ne, sizeof(*objs));
	crcs = cl_xmalloc(cl_xmul(ne, sizeof(*crcs)));
	offs = cl_xmalloc(cl_xmul(ne, sizeof(*offs)));
	cl_buf_grow(&pack, total + PACK_SHA1);
	cl_buf_put(&pack, "PACK", 4);
	put_be32(&pack, 2);
	put_be32(&pack, (uint32_t)ne);
	for (i = 0; i < ne; i++) {
		memcpy(objs[i].id, e[i].id, PACK_SHA1);
		crcs[i] = e[i].crc;
		offs[i] = pack.size;
		cl_buf_put(&pack, e[i].at, e[i].len);
	}
	if (pack_finish(name, dir, &pack, objs, ne, crcs, offs, durable, err) < 0)
		error = err->code ? err->code : CL_ESTORE;
done:
	for (i = 0; i < 2 * n; i++)
		pack_map_close(&maps[i]);
	free(maps);
	free(objs);
	free(crcs);
	free(offs);
	free(e);
	cl_buf_release(&path);
	cl_buf_release(&pack);
	return error;
}
