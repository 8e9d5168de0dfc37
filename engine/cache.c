/*
 * cache.c - see cache.h.
 *
 * The cache is an image that loading uses as it stands.  At province size
 * (12k units, 22k people, 16k needs) an earlier format filled ~3 MB of
 * structs from word records on every command: fresh memory that the
 * kernel zeroed and faulted in, a millisecond and more before any work.
 * This one holds the structs themselves, with pointers that are right
 * where the image means to lie (its base address, see
 * cl_config_cache_base): the engine maps the file there, and the config
 * reads the file's page-cache pages and writes nothing.  Anywhere else
 * the structs are relocated into fresh memory, as before.
 *
 * Layout (CLCFG4).  Integers are 32-bit words in the byte order of the
 * machine that wrote it, and the structs are this build's (the cache is
 * local, derived data: an image of another byte order or another struct
 * layout is refused and rebuilt from the YAML):
 *
 *   magic "CLCFG4\n\0", a 64-bit checksum of every byte after it, then
 *   H_COUNT header words (counts, see enum head), then the sections in
 *   this order, each sized by the header:
 *
 *     workflow   a word stream (see pack_workflow), copied out on load
 *     unit map, person map, need map   cl_strmap slots (1 + index, 0)
 *     unit_start, at_unit, at_role     the people role index
 *     block      16-aligned: the config's arrays as structs, in enum bulk
 *                order (units, types, people, roles, talents, categories,
 *                needs), 16-aligned each
 *     pool       NUL-terminated strings, each stored once
 *
 * A pointer in the block is the address of its target when the image
 * lies at the base in the header: a string's is base + its offset in the
 * image, a person's roles and talent base + the offset of the struct.
 * NULL stays NULL; an index is CL_NONE as in memory.  The workflow's
 * strings are pool offsets, CACHE_NONE for NULL.
 *
 * Trust: the checksum catches a damaged file (a flipped byte in a role
 * name would otherwise pass every structural check).  The reader does
 * not lean on it for memory safety: every count is checked against the
 * size, every string pointer against the pool (which must end with a
 * NUL), every struct pointer against the one place its target may be,
 * every index against its table, every enum against its range, every map
 * against its cap, and the role index against the roles people really
 * hold, wherever the image lies.  A map slot is never trusted for a match
 * either: cl_strmap_get compares the key.
 *
 * Trap: the maps are stored as hashed, so a change to cl_hash_fnv1a, to
 * how cl_strmap picks a slot, or to the word stream needs a new magic.
 * Old images would otherwise pass every check and then miss lookups.  A
 * change to the structs changes cache_layout() and needs nothing more.
 */
#include "cache.h"
#include "util.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CACHE_MAGIC "CLCFG4\n" /* with its NUL: 8 bytes */
#define CACHE_MAGIC_LEN 8
#define CACHE_SUM_AT 8
#define CACHE_BOM 0x01020304u
#define CACHE_NONE UINT32_MAX
#define CACHE_ALIGN 16 /* of the block and of each array in it */

/* Base addresses: one of 4096 slots of 4 GiB (an image is smaller) from
 * 48 TiB up, by the key's hash, so that two configs a process holds at
 * once (serve, a config change) seldom ask for the same one.  High in
 * the x86-64 and arm64 user address space, away from where the kernel
 * puts the program, the heap, the libraries and the stack, and above the
 * ranges AddressSanitizer reserves. */
#define CACHE_BASE_AT 0x300000000000ull
#define CACHE_BASE_SLOTS 4096u

/* The header words, after the magic and the checksum. */
enum head {
	H_BOM,       /* CACHE_BOM, in the writer's byte order */
	H_LEN,       /* bytes in the image */
	H_KEY,       /* the key, a string */
	H_WFWORDS,   /* words of the workflow stream */
	H_NTYPES,    /* org types */
	H_NUNITS,    /* units */
	H_NPEOPLE,   /* people */
	H_NHELD,     /* roles held, all people together */
	H_NTALENTS,  /* people with a talent assignment */
	H_HASNEEDS,  /* 1 when the config has a needs catalogue */
	H_NCATS,     /* need categories */
	H_NNEEDS,    /* needs */
	H_UNITCAP,   /* slots of the unit map */
	H_PERSONCAP, /* slots of the person map */
	H_NEEDCAP,   /* slots of the need map */
	H_POOL,      /* bytes in the string pool */
	H_LAYOUT,    /* cache_layout() of the writer */
	H_BASELO,    /* the base address the block's pointers assume: */
	H_BASEHI,    /* ... low and high words */
	H_COUNT
};

#define CACHE_HEAD (CACHE_MAGIC_LEN + 8 + 4 * H_COUNT)

/* The sections, in image order. */
enum sect {
	S_WF, S_UNITMAP, S_PERSONMAP, S_NEEDMAP, S_UNITSTART, S_ATUNIT, S_ATROLE,
	S_BLOCK, S_POOL, S_END
};

/* The arrays of the block, in block order. */
enum bulk { B_UNITS, B_TYPES, B_PEOPLE, B_ROLES, B_TALENTS, B_CATS, B_NEEDS, B_END };

/* Where everything is: worked out from the header alone. */
typedef struct plan {
	uint32_t h[H_COUNT];     /* the header words */
	uint64_t off[S_END + 1]; /* image offset of each section, then the end */
	size_t at[B_END];        /* block offset of each array */
	size_t size;             /* bytes in the block */
	uintptr_t base;          /* where the image means to lie */
} plan;

_Static_assert(sizeof(uintptr_t) == sizeof(char *), "pointers are stored as uintptr_t");

uintptr_t cl_config_cache_base(const char *key)
{
#if UINTPTR_MAX > 0xffffffffu
	return (uintptr_t)(CACHE_BASE_AT +
			   ((uint64_t)(cl_hash_fnv1a(key) % CACHE_BASE_SLOTS) << 32));
#else
	(void)key;
	return 0; /* never mapped there: a 32-bit process relocates */
#endif
}

/* The struct layout the block assumes: images of a build whose structs
 * differ are refused, not misread. */
static uint32_t cache_layout(void)
{
	static const size_t v[] = {
		sizeof(void *), sizeof(size_t), sizeof(int), sizeof(cl_mode),
		sizeof(cl_unit), offsetof(cl_unit, id), offsetof(cl_unit, name),
		offsetof(cl_unit, type), offsetof(cl_unit, parent), offsetof(cl_unit, key),
		sizeof(cl_role), offsetof(cl_role, role), offsetof(cl_role, unit),
		sizeof(cl_person), offsetof(cl_person, id), offsetof(cl_person, name),
		offsetof(cl_person, roles), offsetof(cl_person, nroles),
		offsetof(cl_person, talent),
		sizeof(cl_talent), offsetof(cl_talent, serves),
		offsetof(cl_talent, dispatched_by), offsetof(cl_talent, mode),
		offsetof(cl_talent, first_secretary), offsetof(cl_talent, from),
		offsetof(cl_talent, to), offsetof(cl_talent, note),
		sizeof(cl_need), offsetof(cl_need, id), offsetof(cl_need, unit),
		offsetof(cl_need, category), offsetof(cl_need, title),
	};
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		h ^= (uint32_t)v[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * A checksum that reads 8 bytes a step in four independent lanes, so the
 * multiplies overlap: some 20x faster than byte-wise FNV-1a over the same
 * image.  Each step is a bijection of its lane's state, so a change within
 * one lane (any change to one 8-byte word, say) always shows.
 */
static uint64_t cache_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t cache_sum(const unsigned char *p, size_t n)
{
	static const uint64_t mul = 0x9e3779b97f4a7c15ull;
	uint64_t h[4] = { 1, 2, 3, 4 }, w, r = n;
	size_t i, j;

	for (i = 0; i + 32 <= n; i += 32) {
		for (j = 0; j < 4; j++) {
			memcpy(&w, p + i + 8 * j, 8);
			h[j] = cache_rotl((h[j] ^ w) * mul, 29);
		}
	}
	for (; i < n; i++)
		h[0] = cache_rotl((h[0] ^ p[i]) * mul, 29);
	for (j = 0; j < 4; j++)
		r = cache_rotl((r ^ h[j]) * mul, 29);
	return r;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t align_up(uint64_t n, uint64_t a)
{
	return (n + a - 1) / a * a;
}

/* Block offsets from the counts; 0 unless the block would not fit a
 * size_t.  64-bit sums of 32-bit counts times struct sizes cannot
 * overflow. */
static int plan_block(plan *pl)
{
	const uint32_t *h = pl->h;
	uint64_t size[B_END], at = 0;
	int b;

	size[B_UNITS] = (uint64_t)h[H_NUNITS] * sizeof(cl_unit);
	size[B_TYPES] = (uint64_t)h[H_NTYPES] * sizeof(char *);
	size[B_PEOPLE] = (uint64_t)h[H_NPEOPLE] * sizeof(cl_person);
	size[B_ROLES] = (uint64_t)h[H_NHELD] * sizeof(cl_role);
	size[B_TALENTS] = (uint64_t)h[H_NTALENTS] * sizeof(cl_talent);
	size[B_CATS] = (uint64_t)h[H_NCATS] * sizeof(char *);
	size[B_NEEDS] = (uint64_t)h[H_NNEEDS] * sizeof(cl_need);
	for (b = 0; b < B_END; b++) {
		at = align_up(at, CACHE_ALIGN);
		pl->at[b] = (size_t)at;
		at += size[b];
	}
	pl->size = (size_t)at;
	return (uint64_t)pl->size == at ? 0 : -1;
}

/* Section offsets from the counts, the pool last (its size is the
 * header's H_POOL, which the writer sets last). */
static void plan_sections(plan *pl)
{
	const uint32_t *h = pl->h;
	uint64_t words[S_BLOCK];
	int s;

	words[S_WF] = h[H_WFWORDS];
	words[S_UNITMAP] = h[H_UNITCAP];
	words[S_PERSONMAP] = h[H_PERSONCAP];
	words[S_NEEDMAP] = h[H_NEEDCAP];
	words[S_UNITSTART] = (uint64_t)h[H_NUNITS] + 1;
	words[S_ATUNIT] = h[H_NHELD];
	words[S_ATROLE] = h[H_NHELD];
	pl->off[S_WF] = CACHE_HEAD;
	for (s = S_WF; s < S_BLOCK; s++)
		pl->off[s + 1] = pl->off[s] + 4 * words[s];
	pl->off[S_BLOCK] = align_up(pl->off[S_BLOCK], CACHE_ALIGN);
	pl->off[S_POOL] = pl->off[S_BLOCK] + pl->size;
	pl->off[S_END] = pl->off[S_POOL] + h[H_POOL];
}

/* A pointer field, stored or read as the integer it holds (the writer's
 * pointers point nowhere in the writing process; the reader's are not
 * trusted until checked). */
static uintptr_t get_ptr(const void *field)
{
	uintptr_t v;

	memcpy(&v, field, sizeof(v));
	return v;
}

static void set_ptr(void *field, uintptr_t v)
{
	memcpy(field, &v, sizeof(v));
}

/* ---- writing ---- */

typedef struct pk {
	cl_buf recs;        /* the workflow's word stream */
	cl_buf pool;        /* the string pool */
	uint32_t *seen;     /* interning: 1 + pool offset per slot, 0 when empty */
	size_t cap;         /* slots in seen, a power of two */
	size_t n;           /* strings in the pool */
	char *block;        /* the block, as it will lie in the image */
	const plan *pl;     /* where things go */
	uintptr_t pool_at;  /* the pool's address, the image at its base */
	uintptr_t block_at; /* the block's, likewise */
} pk;

static void put32(cl_buf *b, uint32_t v)
{
	cl_buf_put(b, &v, 4);
}

static void pk_word(pk *k, size_t v)
{
	assert(v < CACHE_NONE || v == CL_NONE);
	put32(&k->recs, v == CL_NONE ? CACHE_NONE : (uint32_t)v);
}

static void pk_i64(pk *k, int64_t v)
{
	uint64_t u = (uint64_t)v;

	put32(&k->recs, (uint32_t)u);
	put32(&k->recs, (uint32_t)(u >> 32));
}

static size_t pk_slot(const pk *k, const char *s)
{
	size_t i = cl_hash_fnv1a(s) & (k->cap - 1);

	while (k->seen[i] && strcmp(k->pool.ptr + k->seen[i] - 1, s))
		i = (i + 1) & (k->cap - 1);
	return i;
}

/* The pool offset of s, adding it the first time. */
static uint32_t pk_intern(pk *k, const char *s)
{
	size_t i, off;

	if ((k->n + 1) * 2 > k->cap) {
		uint32_t *old = k->seen;
		size_t oldcap = k->cap;
		k->cap = oldcap ? oldcap * 2 : 256;
		k->seen = cl_xcalloc(k->cap, sizeof(uint32_t));
		for (i = 0; i < oldcap; i++)
			if (old[i])
				k->seen[pk_slot(k, k->pool.ptr + old[i] - 1)] = old[i];
		free(old);
	}
	i = pk_slot(k, s);
	if (k->seen[i])
		return k->seen[i] - 1;
	off = k->pool.size;
	assert(off + strlen(s) < CACHE_NONE - 1);
	cl_buf_put(&k->pool, s, strlen(s) + 1);
	k->seen[i] = (uint32_t)off + 1;
	k->n++;
	return (uint32_t)off;
}

static void pk_str(pk *k, const char *s)
{
	put32(&k->recs, s ? pk_intern(k, s) : CACHE_NONE);
}

static void pk_strv(pk *k, char *const *v, size_t n)
{
	size_t i;

	pk_word(k, n);
	for (i = 0; i < n; i++)
		pk_str(k, v[i]);
}

static void pack_field(pk *k, const cl_field *f)
{
	pk_str(k, f->name);
	pk_word(k, (size_t)f->type);
	pk_word(k, (size_t)f->required);
	pk_word(k, (size_t)f->has_min);
	pk_word(k, (size_t)f->has_max);
	pk_i64(k, f->min);
	pk_i64(k, f->max);
	pk_strv(k, f->choices, f->nchoices);
	pk_str(k, f->choices_from);
}

static void pack_level(pk *k, const cl_level *l)
{
	pk_str(k, l->id);
	pk_str(k, l->title);
	pk_str(k, l->role);
	pk_word(k, (size_t)l->anchor);
	pk_str(k, l->unit_type);
	pk_word(k, (size_t)l->deadline_days);
	pk_word(k, (size_t)l->approve_comment);
	pk_word(k, (size_t)l->reject_comment);
	pk_strv(k, l->grades, l->ngrades);
	pk_word(k, (size_t)l->line);
	pk_word(k, (size_t)l->col);
}

static void pack_workflow(pk *k, const cl_workflow *wf)
{
	size_t i;

	pk_str(k, wf->id);
	pk_str(k, wf->title);
	pk_i64(k, wf->version);
	pk_str(k, wf->version_tag);
	pk_str(k, wf->admin_role);
	pk_word(k, (size_t)wf->on_reject);
	pk_str(k, wf->file);
	pk_word(k, wf->nfields);
	for (i = 0; i < wf->nfields; i++)
		pack_field(k, &wf->fields[i]);
	pk_word(k, wf->nlevels);
	for (i = 0; i < wf->nlevels; i++)
		pack_level(k, &wf->levels[i]);
}

/* A string field of the block: where s will lie, NULL for NULL. */
static void pk_ptr(pk *k, void *field, const char *s)
{
	set_ptr(field, s ? k->pool_at + pk_intern(k, s) : 0);
}

static void *pk_array(const pk *k, enum bulk b)
{
	return k->block + k->pl->at[b];
}

static void pack_org(pk *k, const cl_org *org)
{
	cl_unit *units = pk_array(k, B_UNITS);
	char **types = pk_array(k, B_TYPES);
	size_t i;

	for (i = 0; i < org->ntypes; i++)
		pk_ptr(k, &types[i], org->types[i]);
	for (i = 0; i < org->nunits; i++) {
		const cl_unit *u = &org->units[i];
		pk_ptr(k, &units[i].id, u->id);
		pk_ptr(k, &units[i].name, u->name);
		pk_ptr(k, &units[i].type, u->type);
		units[i].parent = u->parent;
		units[i].key = u->key;
	}
}

static void pack_people(pk *k, const cl_people *people)
{
	cl_person *out = pk_array(k, B_PEOPLE);
	cl_role *roles = pk_array(k, B_ROLES);
	cl_talent *talents = pk_array(k, B_TALENTS);
	uintptr_t roles_at = k->block_at + k->pl->at[B_ROLES];
	uintptr_t talents_at = k->block_at + k->pl->at[B_TALENTS];
	size_t i, j, r = 0, t = 0;

	for (i = 0; i < people->npeople; i++) {
		const cl_person *p = &people->people[i];
		pk_ptr(k, &out[i].id, p->id);
		pk_ptr(k, &out[i].name, p->name);
		out[i].nroles = p->nroles;
		set_ptr(&out[i].roles, p->nroles ? roles_at + r * sizeof(cl_role) : 0);
		for (j = 0; j < p->nroles; j++, r++) {
			pk_ptr(k, &roles[r].role, p->roles[j].role);
			roles[r].unit = p->roles[j].unit;
		}
		set_ptr(&out[i].talent, p->talent ? talents_at + t * sizeof(cl_talent) : 0);
		if (p->talent) {
			const cl_talent *s = p->talent;
			cl_talent *d = &talents[t++];
			d->serves = s->serves;
			d->dispatched_by = s->dispatched_by;
			d->mode = s->mode;
			d->first_secretary = s->first_secretary;
			d->from = s->from;
			d->to = s->to;
			pk_ptr(k, &d->note, s->note);
		}
	}
}

static void pack_needs(pk *k, const cl_needs *needs)
{
	char **cats = pk_array(k, B_CATS);
	cl_need *out = pk_array(k, B_NEEDS);
	size_t i;

	if (!needs)
		return;
	for (i = 0; i < needs->ncategories; i++)
		pk_ptr(k, &cats[i], needs->categories[i]);
	for (i = 0; i < needs->nneeds; i++) {
		const cl_need *nd = &needs->needs[i];
		pk_ptr(k, &out[i].id, nd->id);
		out[i].unit = nd->unit;
		pk_ptr(k, &out[i].category, nd->category);
		pk_ptr(k, &out[i].title, nd->title);
	}
}

static void put_map(cl_buf *b, const cl_strmap *m)
{
	if (m)
		cl_buf_put(b, m->slots, m->cap * sizeof(uint32_t));
}

static size_t pack_talents(const cl_people *people)
{
	size_t i, n = 0;

	for (i = 0; i < people->npeople; i++)
		n += people->people[i].talent != NULL;
	return n;
}

static void pack_head(uint32_t h[H_COUNT], const cl_config *cfg, size_t wfwords,
		      uint32_t key, uintptr_t base)
{
	const cl_needs *needs = cfg->needs;

	memset(h, 0, H_COUNT * sizeof(uint32_t));
	h[H_BOM] = CACHE_BOM;
	h[H_KEY] = key;
	h[H_WFWORDS] = (uint32_t)wfwords;
	h[H_NTYPES] = (uint32_t)cfg->org->ntypes;
	h[H_NUNITS] = (uint32_t)cfg->org->nunits;
	h[H_NPEOPLE] = (uint32_t)cfg->people->npeople;
	h[H_NHELD] = (uint32_t)cfg->people->nheld;
	h[H_NTALENTS] = (uint32_t)pack_talents(cfg->people);
	h[H_HASNEEDS] = needs != NULL;
	h[H_NCATS] = needs ? (uint32_t)needs->ncategories : 0;
	h[H_NNEEDS] = needs ? (uint32_t)needs->nneeds : 0;
	h[H_UNITCAP] = (uint32_t)cfg->org->byid.cap;
	h[H_PERSONCAP] = (uint32_t)cfg->people->byid.cap;
	h[H_NEEDCAP] = needs ? (uint32_t)needs->byid.cap : 0;
	h[H_LAYOUT] = cache_layout();
	h[H_BASELO] = (uint32_t)base;
	h[H_BASEHI] = (uint32_t)((uint64_t)base >> 32);
}

void cl_config_pack(cl_buf *out, const cl_config *cfg, const char *key)
{
	static const char zeros[CACHE_ALIGN];
	const cl_people *people = cfg->people;
	pk k = { CL_BUF_INIT, CL_BUF_INIT, NULL, 0, 0, NULL, NULL, 0, 0 };
	plan pl;
	uint32_t keyoff;
	uintptr_t base = cl_config_cache_base(key);
	size_t start = out->size;

	assert(people->nunits == cfg->org->nunits);
	memset(&pl, 0, sizeof(pl));
	keyoff = pk_intern(&k, key);
	pack_workflow(&k, cfg->workflow);
	pack_head(pl.h, cfg, k.recs.size / 4, keyoff, base);
	if (plan_block(&pl) < 0)
		abort(); /* a block beyond the address space: no such config */
	plan_sections(&pl);
	k.block = cl_xcalloc(1, pl.size ? pl.size : 1);
	k.pl = &pl;
	k.block_at = base + (uintptr_t)pl.off[S_BLOCK];
	k.pool_at = base + (uintptr_t)pl.off[S_POOL];
	pack_org(&k, cfg->org);
	pack_people(&k, people);
	pack_needs(&k, cfg->needs);
	pl.h[H_POOL] = (uint32_t)k.pool.size;
	plan_sections(&pl);
	assert(pl.off[S_END] < CACHE_NONE);
	pl.h[H_LEN] = (uint32_t)pl.off[S_END];

	cl_buf_put(out, CACHE_MAGIC, CACHE_MAGIC_LEN);
	cl_buf_put(out, "\0\0\0\0\0\0\0\0", 8); /* the checksum, below */
	cl_buf_put(out, pl.h, sizeof(pl.h));
	cl_buf_put(out, k.recs.ptr, k.recs.size);
	put_map(out, &cfg->org->byid);
	put_map(out, &people->byid);
	put_map(out, cfg->needs ? &cfg->needs->byid : NULL);
	cl_buf_put(out, people->unit_start, (people->nunits + 1) * sizeof(uint32_t));
	cl_buf_put(out, people->at_unit, people->nheld * sizeof(uint32_t));
	cl_buf_put(out, people->at_role, people->nheld * sizeof(uint32_t));
	cl_buf_put(out, zeros, (size_t)pl.off[S_BLOCK] - (out->size - start));
	cl_buf_put(out, k.block, pl.size);
	cl_buf_put(out, k.pool.ptr, k.pool.size);
	assert(out->size - start == pl.off[S_END]);
	cl_config_cache_reseal(out->ptr + start, (size_t)pl.off[S_END]);
	cl_buf_release(&k.recs);
	cl_buf_release(&k.pool);
	free(k.seen);
	free(k.block);
}

void cl_config_cache_reseal(char *image, size_t len)
{
	uint64_t sum;

	assert(len >= CACHE_HEAD);
	sum = cache_sum((const unsigned char *)image + CACHE_SUM_AT + 8,
			len - CACHE_SUM_AT - 8);
	memcpy(image + CACHE_SUM_AT, &sum, 8);
}

/* ---- reading ---- */

/*
 * The block.  Relocating a province's touches some 3 MB of fresh memory,
 * and where page faults are dear (measured on a small VM: some 4 us per
 * 4 KiB page) a block of 2 MiB or more is aligned and advised to use
 * transparent huge pages, one fault per 2 MiB.  It is advice: the kernel
 * may ignore it, and the block is malloc'd either way, so free()
 * releases it.
 */
#define CACHE_HUGE ((size_t)2 << 20)

static void *cache_block(size_t size)
{
#ifdef MADV_HUGEPAGE
	void *p = NULL;

	if (size >= CACHE_HUGE && posix_memalign(&p, CACHE_HUGE, size) == 0) {
		(void)madvise(p, size, MADV_HUGEPAGE);
		return p;
	}
#endif
	return cl_xmalloc(size ? size : 1);
}

/* The loader's view of one image. */
typedef struct ld {
	const unsigned char *p; /* next workflow word */
	size_t left;            /* workflow words left */
	const plan *pl;         /* where things are */
	const char *img;        /* the image, where it lies (4-aligned) */
	char *pool;             /* its string pool; pool[npool - 1] is NUL */
	size_t npool;           /* bytes in pool */
	const char *src;        /* the block as stored */
	char *dst;              /* the block used: src itself, or relocated */
	int write;              /* dst is a fresh block to fill (relocating) */
	uintptr_t pool_at;      /* where the stored pointers take the pool */
	uintptr_t block_at;     /* ... and the block */
	int bad;                /* set on any inconsistency */
} ld;

/* A section, 4-aligned as in the image: read only, where it lies. */
static void *ld_sect(const ld *l, enum sect s)
{
	return (char *)l->img + l->pl->off[s];
}

static uint32_t ld_word(ld *l)
{
	uint32_t v;

	if (l->bad || !l->left) {
		l->bad = 1;
		return 0;
	}
	v = rd32(l->p);
	l->p += 4;
	l->left--;
	return v;
}

static int64_t ld_i64(ld *l)
{
	uint64_t lo = ld_word(l), hi = ld_word(l);

	return (int64_t)(lo | hi << 32);
}

/* An index below limit (or, with none_ok, CL_NONE). */
static size_t ld_index(ld *l, size_t limit, int none_ok)
{
	uint32_t v = ld_word(l);

	if (none_ok && v == CACHE_NONE)
		return CL_NONE;
	if (v >= limit) {
		l->bad = 1;
		return 0;
	}
	return v;
}

/* A count of items at least min_words long each: bounded by what is left. */
static size_t ld_count(ld *l, size_t min_words)
{
	uint32_t n = ld_word(l);

	if (n > l->left / min_words) {
		l->bad = 1;
		return 0;
	}
	return n;
}

/* A string in the pool (NULL only for CACHE_NONE with none_ok). */
static char *ld_ref(ld *l, int none_ok)
{
	uint32_t v = ld_word(l);

	if (none_ok && v == CACHE_NONE)
		return NULL;
	if (v >= l->npool) {
		l->bad = 1;
		return NULL;
	}
	return l->pool + v;
}

/* The workflow is a handful of strings: it gets its own copies, so that
 * it stays a plain cl_workflow (machine.c and cl_workflow_free). */
static char *ld_dup(ld *l, int none_ok)
{
	const char *s = ld_ref(l, none_ok);

	return s ? cl_xstrdup(s) : NULL;
}

static char **ld_strv(ld *l, size_t *n)
{
	char **v;
	size_t i;

	*n = ld_count(l, 1);
	v = *n ? cl_xcalloc(*n, sizeof(char *)) : NULL;
	for (i = 0; i < *n; i++)
		v[i] = ld_dup(l, 0);
	return v;
}

static void unpack_field(ld *l, cl_field *f)
{
	f->name = ld_dup(l, 0);
	f->type = (cl_field_type)ld_index(l, 4, 0);
	f->required = (int)ld_index(l, 2, 0);
	f->has_min = (int)ld_index(l, 2, 0);
	f->has_max = (int)ld_index(l, 2, 0);
	f->min = ld_i64(l);
	f->max = ld_i64(l);
	f->choices = ld_strv(l, &f->nchoices);
	f->choices_from = ld_dup(l, 1);
}

static void unpack_level(ld *l, cl_level *v)
{
	v->id = ld_dup(l, 0);
	v->title = ld_dup(l, 0);
	v->role = ld_dup(l, 0);
	v->anchor = (cl_anchor)ld_index(l, 2, 0);
	v->unit_type = ld_dup(l, 1);
	v->deadline_days = (int)ld_index(l, 3661, 0);
	v->approve_comment = (cl_need_comment)ld_index(l, 2, 0);
	v->reject_comment = (cl_need_comment)ld_index(l, 2, 0);
	v->grades = ld_strv(l, &v->ngrades);
	v->line = (int)ld_index(l, INT32_MAX, 0);
	v->col = (int)ld_index(l, INT32_MAX, 0);
}

/* Words a field or a level takes at least (with no choices or grades). */
#define FIELD_MIN_W 11
#define LEVEL_MIN_W 11

static cl_workflow *unpack_workflow(ld *l)
{
	cl_workflow *wf = cl_xcalloc(1, sizeof(*wf));
	size_t i, n;

	wf->id = ld_dup(l, 0);
	wf->title = ld_dup(l, 0);
	wf->version = ld_i64(l);
	wf->version_tag = ld_dup(l, 0);
	wf->admin_role = ld_dup(l, 0);
	wf->on_reject = (cl_on_reject)ld_index(l, 2, 0);
	wf->file = ld_dup(l, 0);
	n = ld_count(l, FIELD_MIN_W);
	wf->fields = cl_xcalloc(n, sizeof(cl_field));
	for (i = 0; i < n && !l->bad; i++, wf->nfields++)
		unpack_field(l, &wf->fields[i]);
	n = ld_count(l, LEVEL_MIN_W);
	wf->levels = cl_xcalloc(n, sizeof(cl_level));
	for (i = 0; i < n && !l->bad; i++, wf->nlevels++)
		unpack_level(l, &wf->levels[i]);
	if (!wf->nlevels || l->left)
		l->bad = 1;
	return wf;
}


/* A stored string pointer as one into the pool where it lies: NULL only
 * for NULL with none_ok. */
static char *ld_str(ld *l, const void *field, int none_ok)
{
	uintptr_t v = get_ptr(field), off = v - l->pool_at;

	if (!v && none_ok)
		return NULL;
	if (v < l->pool_at || off >= l->npool) {
		l->bad = 1;
		return NULL;
	}
	return l->pool + off;
}

/* A stored pointer to element i of block array b (of elements of size
 * bytes), the only place it may point; NULL when it must be NULL. */
static void *ld_elem(ld *l, const void *field, enum bulk b, size_t size, size_t i,
		     int null)
{
	uintptr_t v = get_ptr(field);
	size_t at = l->pl->at[b] + i * size;

	if (null ? v != 0 : v != l->block_at + at) {
		l->bad = 1;
		return NULL;
	}
	return null ? NULL : l->dst + at;
}

/* A stored index below limit (or, with none_ok, CL_NONE). */
static size_t ld_below(ld *l, size_t v, size_t limit, int none_ok)
{
	if ((none_ok && v == CL_NONE) || v < limit)
		return v;
	l->bad = 1;
	return 0;
}

/* A stored int or enum in [0, limit). */
static int ld_small(ld *l, long v, long limit)
{
	if (v >= 0 && v < limit)
		return (int)v;
	l->bad = 1;
	return 0;
}

static void *ld_src(const ld *l, enum bulk b)
{
	return (char *)l->src + l->pl->at[b];
}

static void *ld_dst(const ld *l, enum bulk b)
{
	return l->dst + l->pl->at[b];
}

/* n string pointers of array b (types, categories). */
static char **ld_strs(ld *l, enum bulk b, size_t n)
{
	char **src = ld_src(l, b), **dst = ld_dst(l, b);
	size_t i;

	for (i = 0; i < n; i++) {
		char *s = ld_str(l, &src[i], 0);
		if (l->write)
			dst[i] = s;
	}
	return dst;
}

/* Takes a map as stored.  Its slots need not be where hashing would put
 * them (get compares keys), but they must name entries, and one must be
 * empty, or a lookup of a missing key would probe forever. */
static void ld_map(ld *l, cl_strmap *m, enum sect s, size_t cap, size_t n)
{
	uint32_t *slots = ld_sect(l, s);
	size_t i, used = 0;

	if (cap ? n >= cap : n != 0) {
		l->bad = 1;
		return;
	}
	for (i = 0; i < cap; i++) {
		if (slots[i] > n)
			l->bad = 1;
		used += slots[i] != 0;
	}
	if (used != n)
		l->bad = 1;
	m->slots = cap ? slots : NULL;
	m->cap = cap;
	m->n = n;
	m->borrowed = 1;
}

static cl_org *fill_org(ld *l)
{
	const uint32_t *h = l->pl->h;
	cl_org *org = cl_xcalloc(1, sizeof(*org));
	const cl_unit *src = ld_src(l, B_UNITS);
	cl_unit *dst = ld_dst(l, B_UNITS);
	size_t i, n = h[H_NUNITS];

	org->in_image = 1;
	org->ntypes = h[H_NTYPES];
	org->types = ld_strs(l, B_TYPES, org->ntypes);
	org->units = dst;
	org->nunits = n;
	for (i = 0; i < n && !l->bad; i++) {
		const cl_unit *s = &src[i];
		cl_unit u = { .id = ld_str(l, &s->id, 0), .name = ld_str(l, &s->name, 0),
			      .type = ld_str(l, &s->type, 0),
			      .parent = ld_below(l, s->parent, n, 1),
			      .key = ld_small(l, s->key, 2) };
		if (l->write)
			dst[i] = u;
	}
	cl_strmap_init(&org->byid, org->units, offsetof(cl_unit, id), sizeof(cl_unit));
	ld_map(l, &org->byid, S_UNITMAP, h[H_UNITCAP], n);
	return org;
}

/* The people: each person's roles are the next nroles of the roles
 * array, and a talent the next of the talents array. */
static void fill_persons(ld *l, cl_people *people)
{
	const uint32_t *h = l->pl->h;
	const cl_person *src = ld_src(l, B_PEOPLE);
	cl_person *dst = ld_dst(l, B_PEOPLE);
	size_t i, r = 0, t = 0;

	for (i = 0; i < people->npeople && !l->bad; i++) {
		const cl_person *s = &src[i];
		cl_person p = { .id = ld_str(l, &s->id, 0), .name = ld_str(l, &s->name, 0),
				.nroles = ld_below(l, s->nroles, h[H_NHELD] - r + 1, 0) };
		p.roles = ld_elem(l, &s->roles, B_ROLES, sizeof(cl_role), r, !p.nroles);
		if (get_ptr(&s->talent)) {
			if (t < h[H_NTALENTS])
				p.talent = ld_elem(l, &s->talent, B_TALENTS, sizeof(cl_talent),
						   t, 0);
			t++;
		}
		r += p.nroles;
		if (l->write)
			dst[i] = p;
	}
	if (r != h[H_NHELD] || t != h[H_NTALENTS])
		l->bad = 1;
}

static void fill_roles(ld *l, size_t nunits)
{
	const cl_role *src = ld_src(l, B_ROLES);
	cl_role *dst = ld_dst(l, B_ROLES);
	size_t i;

	for (i = 0; i < l->pl->h[H_NHELD] && !l->bad; i++) {
		cl_role r = { .role = ld_str(l, &src[i].role, 0),
			      .unit = ld_below(l, src[i].unit, nunits, 0) };
		if (l->write)
			dst[i] = r;
	}
}

static void fill_talents(ld *l, size_t nunits)
{
	const cl_talent *src = ld_src(l, B_TALENTS);
	cl_talent *dst = ld_dst(l, B_TALENTS);
	size_t i;

	for (i = 0; i < l->pl->h[H_NTALENTS] && !l->bad; i++) {
		const cl_talent *s = &src[i];
		cl_talent v = { .serves = ld_below(l, s->serves, nunits, 0),
				.dispatched_by = ld_below(l, s->dispatched_by, nunits, 0),
				.mode = (cl_mode)ld_small(l, (long)s->mode, 3),
				.first_secretary = ld_small(l, s->first_secretary, 2),
				.from = s->from, .to = s->to, .note = ld_str(l, &s->note, 1) };
		if (l->write)
			dst[i] = v;
	}
}

/* The role index as stored, checked against the roles people hold: a
 * holder listed at unit u really holds that role at u. */
static void ld_role_index(ld *l, cl_people *people)
{
	const uint32_t *start = ld_sect(l, S_UNITSTART);
	const uint32_t *at_unit = ld_sect(l, S_ATUNIT);
	const uint32_t *at_role = ld_sect(l, S_ATROLE);
	size_t u, k;

	if (l->bad || start[0] != 0 || start[people->nunits] != people->nheld) {
		l->bad = 1;
		return;
	}
	for (u = 0; u < people->nunits && !l->bad; u++) {
		if (start[u] > start[u + 1]) {
			l->bad = 1;
			break;
		}
		for (k = start[u]; k < start[u + 1]; k++) {
			const cl_person *p;
			if (at_unit[k] >= people->npeople ||
			    at_role[k] >= (p = &people->people[at_unit[k]])->nroles ||
			    p->roles[at_role[k]].unit != u) {
				l->bad = 1;
				break;
			}
		}
	}
	people->unit_start = ld_sect(l, S_UNITSTART);
	people->at_unit = ld_sect(l, S_ATUNIT);
	people->at_role = ld_sect(l, S_ATROLE);
}

static cl_people *fill_people(ld *l, size_t nunits)
{
	const uint32_t *h = l->pl->h;
	cl_people *people = cl_xcalloc(1, sizeof(*people));

	people->in_image = 1;
	people->people = ld_dst(l, B_PEOPLE);
	people->npeople = h[H_NPEOPLE];
	people->nheld = h[H_NHELD];
	people->nunits = nunits;
	fill_persons(l, people);
	fill_roles(l, nunits);
	fill_talents(l, nunits);
	cl_strmap_init(&people->byid, people->people, offsetof(cl_person, id),
		       sizeof(cl_person));
	ld_map(l, &people->byid, S_PERSONMAP, h[H_PERSONCAP], people->npeople);
	ld_role_index(l, people);
	return people;
}

static cl_needs *fill_needs(ld *l, size_t nunits)
{
	const uint32_t *h = l->pl->h;
	const cl_need *src = ld_src(l, B_NEEDS);
	cl_need *dst = ld_dst(l, B_NEEDS);
	cl_needs *needs;
	size_t i;

	if (h[H_HASNEEDS] != 1) {
		if (h[H_HASNEEDS] || h[H_NCATS] || h[H_NNEEDS] || h[H_NEEDCAP])
			l->bad = 1;
		return NULL;
	}
	needs = cl_xcalloc(1, sizeof(*needs));
	needs->in_image = 1;
	needs->ncategories = h[H_NCATS];
	needs->categories = ld_strs(l, B_CATS, needs->ncategories);
	needs->needs = dst;
	needs->nneeds = h[H_NNEEDS];
	for (i = 0; i < needs->nneeds && !l->bad; i++) {
		const cl_need *s = &src[i];
		cl_need v = { .id = ld_str(l, &s->id, 0), .unit = ld_below(l, s->unit, nunits, 0),
			      .category = ld_str(l, &s->category, 0),
			      .title = ld_str(l, &s->title, 0) };
		if (l->write)
			dst[i] = v;
	}
	cl_strmap_init(&needs->byid, needs->needs, offsetof(cl_need, id), sizeof(cl_need));
	ld_map(l, &needs->byid, S_NEEDMAP, h[H_NEEDCAP], needs->nneeds);
	return needs;
}

/* The checks that need no allocation: magic, byte order, size, checksum,
 * layout, pool and key.  0, or the error already set. */
static int unpack_check(plan *pl, const unsigned char *img, size_t len,
			const char *key, cl_error *err)
{
	const char *pool;
	uint64_t sum;
	int i;

	if (len < CACHE_HEAD || memcmp(img, CACHE_MAGIC, CACHE_MAGIC_LEN))
		return cl_error_set(err, CL_EINVALID, "not a configuration cache");
	for (i = 0; i < H_COUNT; i++)
		pl->h[i] = rd32(img + CACHE_MAGIC_LEN + 8 + 4 * i);
	if (pl->h[H_BOM] != CACHE_BOM)
		return cl_error_set(err, CL_EINVALID,
				    "configuration cache is for another byte order");
	if (pl->h[H_LEN] != len)
		return cl_error_set(err, CL_EINVALID, "configuration cache is truncated");
	memcpy(&sum, img + CACHE_SUM_AT, 8);
	if (sum != cache_sum(img + CACHE_SUM_AT + 8, len - CACHE_SUM_AT - 8))
		return cl_error_set(err, CL_EINVALID, "configuration cache checksum mismatch");
	if (pl->h[H_LAYOUT] != cache_layout())
		return cl_error_set(err, CL_EINVALID,
				    "configuration cache is for another build");
	pl->base = (uintptr_t)((uint64_t)pl->h[H_BASEHI] << 32 | pl->h[H_BASELO]);
	if ((uint64_t)pl->base != ((uint64_t)pl->h[H_BASEHI] << 32 | pl->h[H_BASELO]) ||
	    pl->base % CACHE_ALIGN || plan_block(pl) < 0)
		return cl_error_set(err, CL_EINVALID, "configuration cache is corrupt");
	plan_sections(pl);
	if (pl->off[S_END] != len || pl->h[H_POOL] == 0)
		return cl_error_set(err, CL_EINVALID, "configuration cache is corrupt");
	pool = (const char *)img + pl->off[S_POOL];
	if (pool[pl->h[H_POOL] - 1] || pl->h[H_KEY] >= pl->h[H_POOL])
		return cl_error_set(err, CL_EINVALID, "configuration cache is corrupt");
	if (strcmp(pool + pl->h[H_KEY], key))
		return cl_error_set(err, CL_EINVALID, "configuration cache is for another key");
	return 0;
}

static int config_unpack(cl_config **out, const char *data, size_t len,
			 const char *key, int in_place, cl_error *err)
{
	cl_config *cfg;
	plan pl;
	ld l, wl;
	size_t copy_at;
	int error;

	*out = NULL;
	memset(&pl, 0, sizeof(pl));
	if ((error = unpack_check(&pl, (const unsigned char *)data, len, key, err)) < 0)
		return error;
	cfg = cl_xcalloc(1, sizeof(*cfg));
	memset(&l, 0, sizeof(l));
	l.pl = &pl;
	if (in_place && (uintptr_t)data == pl.base) {
		/* where it means to lie: read as it stands, never written */
		l.img = data;
		l.dst = (char *)data + pl.off[S_BLOCK];
	} else if (in_place && (uintptr_t)data % CACHE_ALIGN == 0) {
		/* elsewhere: the structs are relocated into a block */
		l.img = data;
		l.dst = cfg->image = cache_block(pl.size);
		l.write = 1;
	} else {
		/* a copy, or bytes not aligned for the structs: the image is
		 * copied after the block, which is relocated */
		copy_at = (size_t)align_up(pl.size, CACHE_ALIGN);
		l.dst = cfg->image = cache_block(copy_at + len);
		memcpy(l.dst + copy_at, data, len);
		l.img = l.dst + copy_at;
		l.write = 1;
	}
	l.src = l.img + pl.off[S_BLOCK];
	l.pool = (char *)l.img + pl.off[S_POOL];
	l.npool = pl.h[H_POOL];
	l.pool_at = pl.base + (uintptr_t)pl.off[S_POOL];
	l.block_at = pl.base + (uintptr_t)pl.off[S_BLOCK];
	wl = l;
	wl.p = (const unsigned char *)l.img + pl.off[S_WF];
	wl.left = pl.h[H_WFWORDS];
	cfg->workflow = unpack_workflow(&wl);
	cfg->org = fill_org(&l);
	cfg->people = fill_people(&l, cfg->org->nunits);
	cfg->needs = fill_needs(&l, cfg->org->nunits);
	if (wl.bad || l.bad) {
		cl_config_free(cfg);
		return cl_error_set(err, CL_EINVALID, "configuration cache is corrupt");
	}
	*out = cfg;
	return 0;
}

int cl_config_unpack(cl_config **out, const char *data, size_t len,
		     const char *key, cl_error *err)
{
	return config_unpack(out, data, len, key, 0, err);
}

int cl_config_unpack_in_place(cl_config **out, const char *data, size_t len,
			      const char *key, cl_error *err)
{
	return config_unpack(out, data, len, key, 1, err);
}
