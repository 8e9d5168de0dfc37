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

int cl_pack_write(char name[41], const char *dir, cl_pack_object *objs, size_t n,
		  int durable, cl_error *err)
{
	cl_buf pack = CL_BUF_INIT, idx = CL_BUF_INIT, path = CL_BUF_INIT;
	unsigned char sum[PACK_SHA1], isum[PACK_SHA1];
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
	/* stored, not compressed: these packs live until the next fold
	 * (every 16), which compresses and deltifies them, and `git gc`
	 * after that.  A group's objects are mostly trees, whose 20-byte ids
	 * do not compress, and even zlib's fastest level cost a served
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
	if (sha1(sum, pack.ptr, pack.size) < 0) {
		cl_error_set(err, CL_ESTORE, "cannot checksum a pack");
		goto done;
	}
	cl_buf_put(&pack, sum, PACK_SHA1);
	pack_index(&idx, objs, n, crcs, offs, sum);
	if (sha1(isum, idx.ptr, idx.size) < 0) {
		cl_error_set(err, CL_ESTORE, "cannot checksum a pack index");
		goto done;
	}
	cl_buf_put(&idx, isum, PACK_SHA1);
	for (i = 0; i < PACK_SHA1; i++)
		snprintf(name + 2 * i, 3, "%02x", sum[i]);
	cl_buf_printf(&path, "%s/pack-%s.pack", dir, name);
	if (pack_file(dir, path.ptr, &pack, durable) < 0)
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
	if (zinit)
		deflateEnd(&z);
	free(crcs);
	free(offs);
	cl_buf_release(&pack);
	cl_buf_release(&idx);
	cl_buf_release(&path);
	return error < 0 ? (err->code ? err->code : CL_ESTORE) : 0;
}
