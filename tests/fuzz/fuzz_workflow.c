/*
 * fuzz_workflow.c - libFuzzer target: workflow.yaml.
 *
 * Loads the input as a workflow; when it loads, compiles the state
 * machine and renders it as Graphviz, so every accepted workflow also
 * exercises machine.c.
 */
#include "fuzz.h"

#include "buf.h"
#include "config.h"
#include "error.h"
#include "machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	cl_error err = CL_ERROR_INIT;
	cl_workflow *wf = NULL;
	cl_machine *m = NULL;
	cl_buf dot = CL_BUF_INIT;

	if (cl_workflow_load(&wf, "workflow.yaml", text, size, &err) == 0) {
		if (!wf)
			abort(); /* success must hand back a workflow */
		if (cl_machine_compile(&m, wf, &err) == 0) {
			cl_machine_dot(m, &dot);
			if (!dot.size)
				abort();
		}
	}
	cl_buf_release(&dot);
	cl_machine_free(m);
	cl_workflow_free(wf);
	free(text);
	return 0;
}
