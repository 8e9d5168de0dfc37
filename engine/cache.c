/*
 * cache.c - see cache.h.
 *
 * The cache is an image that loading uses nearly as it stands.  At
 * province size (12k units, 22k people, 16k needs) the previous format
 * cost a malloc per string, a rebuilt hash map per table and a sorted
 * role index on every command; this one costs one copy and one pass.
 *
 * Layout (CLCFG3).  Integers are 32-bit words in the byte order of the
 * machine that wrote it (the cache is local, derived data: an image of
 * another byte order is refused and rebuilt from the YAML):
 *
 *   magic "CLCFG3\n\0", a 64-bit checksum of every byte after it, then
 *   H_COUNT header words (counts, see enum head), then the sections in
 *   this order, each sized by the header:
 *
 *   records, read once while filling the structs:
 *     workflow   a word stream (see pack_workflow)
 *     types      string per org type
 *     units      id, name, type, parent, key
 *     people     id, name, nroles, has_talent
 *     roles      role, unit: all people's roles, person after person
 *     talents    serves, dispatched_by, mode, first_secretary, from (lo,
 *                hi), to (lo, hi), note: one per person with has_talent
 *     categories string per need category
 *     needs      id, unit, category, title
 *   kept, used where they lie: copied once into the config's block, or
 *   left in the caller's image (cl_config_unpack_in_place):
 *     unit map, person map, need map   cl_strmap slots (1 + index, 0)
 *     unit_start, at_unit, at_role     the people role index
 *     pool       NUL-terminated strings, each stored once
 *
 * A string is its offset in the pool, CACHE_NONE for NULL; an index
 * is CACHE_NONE for CL_NONE.
 *
 * Trust: the checksum catches a damaged file (a flipped byte in a role
 * name would otherwise pass every structural check).  The reader does
 * not lean on it for memory safety: every count is checked against the
 * size, every string offset against the pool (which must end with a NUL),
 * every index against its table, every map against its cap, and the role
 * index against the roles people really hold.  A map slot is never
 * trusted for a match either: cl_strmap_get compares the key.
 *
 * Trap: the maps are stored as hashed, so a change to cl_hash_fnv1a, to
 * how cl_strmap picks a slot, or to any record here needs a new magic.
 * Old images would otherwise pass every check and then miss lookups.
 */
#include "cache.h"
#include "util.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CACHE_MAGIC "CLCFG3\n" /* with its NUL: 8 bytes */
#define CACHE_MAGIC_LEN 8
#define CACHE_SUM_AT 8
#define CACHE_BOM 0x01020304u
#define CACHE_NONE UINT32_MAX
#define CACHE_ALIGN 16 /* of each array in the block */

/* Words per record. */
#define UNIT_W 5
#define PERSON_W 4
#define ROLE_W 2
#define TALENT_W 9
#define NEED_W 4

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
	H_COUNT
};

#define CACHE_HEAD (CACHE_MAGIC_LEN + 8 + 4 * H_COUNT)

/* The sections, in image order. */
enum sect {
	S_WF, S_TYPES, S_UNITS, S_PEOPLE, S_ROLES, S_TALENTS, S_CATS, S_NEEDS,
	S_UNITMAP, S_PERSONMAP, S_NEEDMAP, S_UNITSTART, S_ATUNIT, S_ATROLE,
	S_POOL, S_END
};

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

/* ---- writing ---- */

typedef struct pk {
	cl_buf recs;     /* the record sections, word after word */
	cl_buf pool;     /* the string pool */
	uint32_t *seen;  /* interning: 1 + pool offset per slot, 0 when empty */
	size_t cap;      /* slots in seen, a power of two */
	size_t n;        /* strings in the pool */
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

static void pack_org(pk *k, const cl_org *org)
{
	size_t i;

	for (i = 0; i < org->ntypes; i++)
		pk_str(k, org->types[i]);
	for (i = 0; i < org->nunits; i++) {
		pk_str(k, org->units[i].id);
		pk_str(k, org->units[i].name);
		pk_str(k, org->units[i].type);
		pk_word(k, org->units[i].parent);
		pk_word(k, (size_t)org->units[i].key);
	}
}

static void pack_people(pk *k, const cl_people *people)
{
	const cl_person *p;
	size_t i, j;

	for (i = 0; i < people->npeople; i++) {
		p = &people->people[i];
		pk_str(k, p->id);
		pk_str(k, p->name);
		pk_word(k, p->nroles);
		pk_word(k, p->talent != NULL);
	}
	for (i = 0; i < people->npeople; i++) {
		p = &people->people[i];
		for (j = 0; j < p->nroles; j++) {
			pk_str(k, p->roles[j].role);
			pk_word(k, p->roles[j].unit);
		}
	}
	for (i = 0; i < people->npeople; i++) {
		const cl_talent *t = people->people[i].talent;
		if (!t)
			continue;
		pk_word(k, t->serves);
		pk_word(k, t->dispatched_by);
		pk_word(k, (size_t)t->mode);
		pk_word(k, (size_t)t->first_secretary);
		pk_i64(k, t->from);
		pk_i64(k, t->to);
		pk_str(k, t->note);
	}
}

static void pack_needs(pk *k, const cl_needs *needs)
{
	size_t i;

	if (!needs)
		return;
	for (i = 0; i < needs->ncategories; i++)
		pk_str(k, needs->categories[i]);
	for (i = 0; i < needs->nneeds; i++) {
		pk_str(k, needs->needs[i].id);
		pk_word(k, needs->needs[i].unit);
		pk_str(k, needs->needs[i].category);
		pk_str(k, needs->needs[i].title);
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
		      uint32_t key)
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
}

void cl_config_pack(cl_buf *out, const cl_config *cfg, const char *key)
{
	const cl_people *people = cfg->people;
	pk k = { CL_BUF_INIT, CL_BUF_INIT, NULL, 0, 0 };
	uint32_t h[H_COUNT], keyoff;
	size_t start = out->size, wfwords, total;

	assert(people->nunits == cfg->org->nunits);
	keyoff = pk_intern(&k, key);
	pack_workflow(&k, cfg->workflow);
	wfwords = k.recs.size / 4;
	pack_org(&k, cfg->org);
	pack_people(&k, people);
	pack_needs(&k, cfg->needs);
	pack_head(h, cfg, wfwords, keyoff);
	total = CACHE_HEAD + k.recs.size + 4 * ((size_t)h[H_UNITCAP] + h[H_PERSONCAP] +
		h[H_NEEDCAP] + people->nunits + 1 + 2 * people->nheld) + k.pool.size;
	assert(total < CACHE_NONE);
	h[H_LEN] = (uint32_t)total;
	h[H_POOL] = (uint32_t)k.pool.size;

	cl_buf_put(out, CACHE_MAGIC, CACHE_MAGIC_LEN);
	cl_buf_put(out, "\0\0\0\0\0\0\0\0", 8); /* the checksum, below */
	cl_buf_put(out, h, sizeof(h));
	cl_buf_put(out, k.recs.ptr, k.recs.size);
	put_map(out, &cfg->org->byid);
	put_map(out, &people->byid);
	put_map(out, cfg->needs ? &cfg->needs->byid : NULL);
	cl_buf_put(out, people->unit_start, (people->nunits + 1) * sizeof(uint32_t));
	cl_buf_put(out, people->at_unit, people->nheld * sizeof(uint32_t));
	cl_buf_put(out, people->at_role, people->nheld * sizeof(uint32_t));
	cl_buf_put(out, k.pool.ptr, k.pool.size);
	assert(out->size - start == total);
	cl_config_cache_reseal(out->ptr + start, total);
	cl_buf_release(&k.recs);
	cl_buf_release(&k.pool);
	free(k.seen);
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

/* The arrays of the block an unpacked config lives in, in block order. */
enum bulk {
	B_UNITS, B_TYPES, B_PEOPLE, B_ROLES, B_TALENTS, B_CATS, B_NEEDS,
	B_KEPT, B_END
};

/* Where everything is: worked out from the header alone, then checked. */
typedef struct plan {
	uint32_t h[H_COUNT];     /* the header words */
	int in_place;            /* the kept sections stay in the image */
	uint64_t off[S_END + 1]; /* image offset of each section, then the end */
	size_t at[B_END];        /* block offset of each array */
	size_t size;             /* bytes in the block */
} plan;

static void plan_head(plan *pl, const unsigned char *img)
{
	int i;

	for (i = 0; i < H_COUNT; i++)
		pl->h[i] = rd32(img + CACHE_MAGIC_LEN + 8 + 4 * i);
}

/* Section offsets from the counts; 0 when they add up to len exactly.
 * 64-bit sums of 32-bit counts times small constants cannot overflow. */
static int plan_image(plan *pl, size_t len)
{
	const uint32_t *h = pl->h;
	uint64_t words[S_POOL];
	int s;

	words[S_WF] = h[H_WFWORDS];
	words[S_TYPES] = h[H_NTYPES];
	words[S_UNITS] = (uint64_t)h[H_NUNITS] * UNIT_W;
	words[S_PEOPLE] = (uint64_t)h[H_NPEOPLE] * PERSON_W;
	words[S_ROLES] = (uint64_t)h[H_NHELD] * ROLE_W;
	words[S_TALENTS] = (uint64_t)h[H_NTALENTS] * TALENT_W;
	words[S_CATS] = h[H_NCATS];
	words[S_NEEDS] = (uint64_t)h[H_NNEEDS] * NEED_W;
	words[S_UNITMAP] = h[H_UNITCAP];
	words[S_PERSONMAP] = h[H_PERSONCAP];
	words[S_NEEDMAP] = h[H_NEEDCAP];
	words[S_UNITSTART] = (uint64_t)h[H_NUNITS] + 1;
	words[S_ATUNIT] = h[H_NHELD];
	words[S_ATROLE] = h[H_NHELD];
	pl->off[S_WF] = CACHE_HEAD;
	for (s = S_WF; s < S_POOL; s++)
		pl->off[s + 1] = pl->off[s] + 4 * words[s];
	pl->off[S_END] = pl->off[S_POOL] + h[H_POOL];
	return pl->off[S_END] == len && h[H_POOL] > 0 ? 0 : -1;
}

/* Block offsets; 0 unless the block would not fit a size_t. */
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
	size[B_KEPT] = pl->in_place ? 0 : pl->off[S_END] - pl->off[S_UNITMAP];
	for (b = 0; b < B_END; b++) {
		at = (at + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
		pl->at[b] = (size_t)at;
		at += size[b];
	}
	pl->size = (size_t)at;
	return (uint64_t)pl->size == at ? 0 : -1;
}

/*
 * The block.  Loading a province touches some 4 MB of fresh memory here,
 * and where page faults are dear (measured on a small VM: some 4 us per
 * 4 KiB page, most of the load time) a block of 2 MiB or more is aligned
 * and advised to use transparent huge pages, one fault per 2 MiB.  It is
 * advice: the kernel may ignore it, and the block is malloc'd either way,
 * so free() releases it.
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
	return cl_xmalloc(size);
}

/* The loader's view: a cursor over record words, and the block. */
typedef struct ld {
	const unsigned char *p; /* next record word, in the caller's image */
	size_t left;            /* record words left */
	char *block;            /* the config's block */
	char *kept;             /* the kept sections: in the block, or in
				 * the caller's image (cl_config_unpack_in_place) */
	const plan *pl;         /* where things are */
	char *pool;             /* the string pool, among the kept sections */
	size_t npool;           /* bytes in pool; pool[npool - 1] is NUL */
	int bad;                /* set on any inconsistency; reads then give 0 */
} ld;

static void *ld_array(const ld *l, enum bulk b)
{
	return l->block + l->pl->at[b];
}

/* A kept section, 4-aligned as in the image: read only, wherever it is. */
static void *ld_kept(const ld *l, enum sect s)
{
	return l->kept + (l->pl->off[s] - l->pl->off[S_UNITMAP]);
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

/* Takes a map as stored.  Its slots need not be where hashing would put
 * them (get compares keys), but they must name entries, and one must be
 * empty, or a lookup of a missing key would probe forever. */
static void ld_map(ld *l, cl_strmap *m, enum sect s, size_t cap, size_t n)
{
	uint32_t *slots = ld_kept(l, s);
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
	size_t i, n = h[H_NUNITS];

	org->in_image = 1;
	org->types = ld_array(l, B_TYPES);
	org->ntypes = h[H_NTYPES];
	for (i = 0; i < org->ntypes; i++)
		org->types[i] = ld_ref(l, 0);
	org->units = ld_array(l, B_UNITS);
	org->nunits = n;
	for (i = 0; i < n; i++) {
		cl_unit *u = &org->units[i];
		u->id = ld_ref(l, 0);
		u->name = ld_ref(l, 0);
		u->type = ld_ref(l, 0);
		u->parent = ld_index(l, n, 1);
		u->key = (int)ld_index(l, 2, 0);
	}
	cl_strmap_init(&org->byid, org->units, offsetof(cl_unit, id), sizeof(cl_unit));
	ld_map(l, &org->byid, S_UNITMAP, h[H_UNITCAP], n);
	return org;
}

/* The people records: each person's roles are the next nroles of the
 * roles section, and a talent the next of the talents section. */
static void fill_persons(ld *l, cl_people *people)
{
	const uint32_t *h = l->pl->h;
	cl_role *roles = ld_array(l, B_ROLES);
	cl_talent *talents = ld_array(l, B_TALENTS);
	size_t i, r = 0, t = 0;

	for (i = 0; i < people->npeople; i++) {
		cl_person *p = &people->people[i];
		p->id = ld_ref(l, 0);
		p->name = ld_ref(l, 0);
		p->nroles = ld_index(l, h[H_NHELD] - r + 1, 0);
		p->roles = p->nroles ? &roles[r] : NULL;
		r += p->nroles;
		p->talent = NULL;
		if (ld_index(l, 2, 0)) {
			if (t < h[H_NTALENTS])
				p->talent = &talents[t];
			t++;
		}
	}
	if (r != h[H_NHELD] || t != h[H_NTALENTS])
		l->bad = 1;
}

static void fill_talents(ld *l, size_t nunits)
{
	cl_talent *talents = ld_array(l, B_TALENTS);
	size_t i;

	for (i = 0; i < l->pl->h[H_NTALENTS]; i++) {
		cl_talent *t = &talents[i];
		t->serves = ld_index(l, nunits, 0);
		t->dispatched_by = ld_index(l, nunits, 0);
		t->mode = (cl_mode)ld_index(l, 3, 0);
		t->first_secretary = (int)ld_index(l, 2, 0);
		t->from = ld_i64(l);
		t->to = ld_i64(l);
		t->note = ld_ref(l, 1);
	}
}

/* The role index as stored, checked against the roles people hold: a
 * holder listed at unit u really holds that role at u. */
static void ld_role_index(ld *l, cl_people *people)
{
	const uint32_t *start = ld_kept(l, S_UNITSTART);
	const uint32_t *at_unit = ld_kept(l, S_ATUNIT);
	const uint32_t *at_role = ld_kept(l, S_ATROLE);
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
	people->unit_start = ld_kept(l, S_UNITSTART);
	people->at_unit = ld_kept(l, S_ATUNIT);
	people->at_role = ld_kept(l, S_ATROLE);
}

static cl_people *fill_people(ld *l, size_t nunits)
{
	const uint32_t *h = l->pl->h;
	cl_people *people = cl_xcalloc(1, sizeof(*people));
	cl_role *roles = ld_array(l, B_ROLES);
	size_t i;

	people->in_image = 1;
	people->people = ld_array(l, B_PEOPLE);
	people->npeople = h[H_NPEOPLE];
	people->nheld = h[H_NHELD];
	people->nunits = nunits;
	fill_persons(l, people);
	for (i = 0; i < people->nheld; i++) {
		roles[i].role = ld_ref(l, 0);
		roles[i].unit = ld_index(l, nunits, 0);
	}
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
	cl_needs *needs;
	size_t i;

	if (h[H_HASNEEDS] != 1) {
		if (h[H_HASNEEDS] || h[H_NCATS] || h[H_NNEEDS] || h[H_NEEDCAP])
			l->bad = 1;
		return NULL;
	}
	needs = cl_xcalloc(1, sizeof(*needs));
	needs->in_image = 1;
	needs->categories = ld_array(l, B_CATS);
	needs->ncategories = h[H_NCATS];
	for (i = 0; i < needs->ncategories; i++)
		needs->categories[i] = ld_ref(l, 0);
	needs->needs = ld_array(l, B_NEEDS);
	needs->nneeds = h[H_NNEEDS];
	for (i = 0; i < needs->nneeds; i++) {
		cl_need *nd = &needs->needs[i];
		nd->id = ld_ref(l, 0);
		nd->unit = ld_index(l, nunits, 0);
		nd->category = ld_ref(l, 0);
		nd->title = ld_ref(l, 0);
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

	if (len < CACHE_HEAD || memcmp(img, CACHE_MAGIC, CACHE_MAGIC_LEN))
		return cl_error_set(err, CL_EINVALID, "not a configuration cache");
	plan_head(pl, img);
	if (pl->h[H_BOM] != CACHE_BOM)
		return cl_error_set(err, CL_EINVALID,
				    "configuration cache is for another byte order");
	if (pl->h[H_LEN] != len)
		return cl_error_set(err, CL_EINVALID, "configuration cache is truncated");
	memcpy(&sum, img + CACHE_SUM_AT, 8);
	if (sum != cache_sum(img + CACHE_SUM_AT + 8, len - CACHE_SUM_AT - 8))
		return cl_error_set(err, CL_EINVALID, "configuration cache checksum mismatch");
	if (plan_image(pl, len) < 0 || plan_block(pl) < 0)
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
	const unsigned char *img = (const unsigned char *)data;
	cl_config *cfg;
	plan pl;
	ld l, wl;
	int error;

	*out = NULL;
	memset(&pl, 0, sizeof(pl));
	/* the maps and the role index are read as 32-bit words */
	pl.in_place = in_place && (uintptr_t)data % sizeof(uint32_t) == 0;
	if ((error = unpack_check(&pl, img, len, key, err)) < 0)
		return error;
	cfg = cl_xcalloc(1, sizeof(*cfg));
	cfg->image = cache_block(pl.size);
	memset(&l, 0, sizeof(l));
	l.block = cfg->image;
	l.pl = &pl;
	if (pl.in_place) {
		/* never written: the strings, maps and role index are only
		 * read once loaded (maps are borrowed, see ld_map) */
		l.kept = (char *)img + pl.off[S_UNITMAP];
	} else {
		l.kept = l.block + pl.at[B_KEPT];
		memcpy(l.kept, img + pl.off[S_UNITMAP], len - pl.off[S_UNITMAP]);
	}
	l.pool = ld_kept(&l, S_POOL);
	l.npool = pl.h[H_POOL];
	wl = l;
	wl.p = img + pl.off[S_WF];
	wl.left = pl.h[H_WFWORDS];
	l.p = img + pl.off[S_TYPES];
	l.left = (size_t)(pl.off[S_UNITMAP] - pl.off[S_TYPES]) / 4;
	cfg->workflow = unpack_workflow(&wl);
	cfg->org = fill_org(&l);
	cfg->people = fill_people(&l, cfg->org->nunits);
	cfg->needs = fill_needs(&l, cfg->org->nunits);
	if (wl.bad || l.bad || l.left) {
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
