/*
 * fuzz_worklog.c - libFuzzer target: a talent's work log.
 *
 * The bundled sample configuration (engine/sample.h) is loaded once.  Each
 * input is parsed as a work log (at most CL_LOG_MAX_BYTES) and validated
 * against the sample workflow.  A log that validates is wrapped in a
 * record, which must survive serialize -> parse -> serialize byte for
 * byte, and whose stored fields must validate again to the same fields.
 */
#include "fuzz.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "record.h"
#include "sample.h"
#include "yaml.h"

#define FUZZ_SINCE 1671091200 /* 2022-12-15T08:00:00Z */

/* The sample configuration, loaded on the first call and kept. */
static const cl_config *sample_config(void)
{
	static cl_config *cfg;
	cl_config_file files[4];
	cl_error err = CL_ERROR_INIT;
	const cl_sample_file *s;
	size_t n = 0;

	if (cfg)
		return cfg;
	for (s = cl_sample_files; s->name && n < 4; s++) {
		/* the sample ships its workflow as three-level.yaml */
		files[n].name = strcmp(s->name, "three-level.yaml") ? s->name
								 : CL_CONFIG_WORKFLOW;
		files[n].path = files[n].name;
		files[n].data = s->data;
		files[n].len = s->len;
		n++;
	}
	if (cl_config_load(&cfg, files, n, &err) < 0)
		abort(); /* the bundled sample must load */
	return cfg;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* A pending record of the sample's t001 around fields (takes them). */
static cl_record *make_record(cl_ynode *fields)
{
	cl_record *r = calloc(1, sizeof(*r));
	cl_trail *t;

	if (!r || !(t = calloc(1, sizeof(*t))))
		abort();
	r->id = xstrdup("2022H2/t001");
	r->period = xstrdup("2022H2");
	r->talent = xstrdup("t001");
	r->state = xstrdup("pending-village");
	r->level = xstrdup("village");
	r->workflow = xstrdup("weishan-three-level@1");
	r->round = 1;
	r->since = FUZZ_SINCE;
	r->fields = fields;
	t->action = xstrdup("submit");
	t->actor = xstrdup("t001");
	t->from = xstrdup("none");
	t->to = xstrdup("pending-village");
	t->at = FUZZ_SINCE;
	r->trail = t;
	r->ntrail = 1;
	return r;
}

/* Writes fields as YAML into out; aborts when that fails. */
static void emit_or_die(cl_buf *out, const cl_ynode *fields)
{
	cl_error err = CL_ERROR_INIT;

	if (cl_yaml_emit(out, fields, &err) < 0)
		abort();
}

static void round_trip(const cl_config *cfg, cl_ynode *fields)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf one = CL_BUF_INIT, two = CL_BUF_INIT;
	cl_buf fa = CL_BUF_INIT, fb = CL_BUF_INIT;
	cl_record *r = make_record(fields), *back = NULL;
	cl_ynode *again = NULL;

	/* what chainlog writes, it must read back and write identically */
	if (cl_record_serialize(&one, r, &err) < 0 ||
	    cl_record_parse(&back, "record.yaml", one.ptr, one.size, &err) < 0 ||
	    cl_record_serialize(&two, back, &err) < 0)
		abort();
	if (one.size != two.size || memcmp(one.ptr, two.ptr, one.size))
		abort();
	/* the stored fields are a valid log that normalizes to itself */
	if (cl_config_check_log(&again, cfg, "record.yaml", back->fields, &err) < 0)
		abort();
	emit_or_die(&fa, r->fields);
	emit_or_die(&fb, again);
	if (fa.size != fb.size || memcmp(fa.ptr, fb.ptr, fa.size))
		abort();
	cl_ynode_free(again);
	cl_buf_release(&fa);
	cl_buf_release(&fb);
	cl_buf_release(&one);
	cl_buf_release(&two);
	cl_record_free(back);
	cl_record_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const cl_config *cfg = sample_config();
	char *text = fuzz_cstr(data, size);
	cl_error err = CL_ERROR_INIT;
	cl_ynode *log = NULL, *fields = NULL;

	if (cl_yaml_parse(&log, "log.yaml", text, size, CL_LOG_MAX_BYTES, &err) == 0 &&
	    cl_config_check_log(&fields, cfg, "log.yaml", log, &err) == 0) {
		if (!fields)
			abort();
		round_trip(cfg, fields); /* takes fields */
	}
	cl_ynode_free(log);
	free(text);
	return 0;
}
