/*
 * message.h - commit messages: the one place that writes and reads them.
 *
 * A transition's message is
 *
 *   <action> <record> (<from> -> <to>)
 *   <blank>
 *   <comment, if any>
 *   <blank>
 *   Record: <record>
 *   Action: <action>
 *   Actor: <person id>
 *   From: <state>
 *   To: <state>
 *   Level: <level id>        (when a level acts)
 *   Grade: <grade>           (when one was given)
 *
 * Configuration commits carry Action: init or config and Actor: only.
 * The trailer block is always the last paragraph, every value is an id or
 * a state name (one line, safe characters), and user text only ever sits
 * in the comment paragraph above it, so a comment cannot forge a trailer.
 * Pure: no I/O.
 */
#ifndef CL_MESSAGE_H
#define CL_MESSAGE_H

#include "buf.h"
#include "error.h"

typedef struct cl_message {
	char *subject; /* first line */
	char *comment; /* the comment paragraph(s), NULL when none */
	char *record;  /* Record: or NULL */
	char *action;  /* Action: (always) */
	char *actor;   /* Actor: (always) */
	char *from;    /* From: or NULL */
	char *to;      /* To: or NULL */
	char *level;   /* Level: or NULL */
	char *grade;   /* Grade: or NULL */
} cl_message;

/* Builds the message for a record transition (level, grade, comment may
 * be NULL). */
void cl_message_transition(cl_buf *out, const char *record, const char *action,
			   const char *actor, const char *from, const char *to,
			   const char *level, const char *grade,
			   const char *comment);

/* Builds the message for a configuration commit (action: init, config). */
void cl_message_config(cl_buf *out, const char *action, const char *actor,
		       const char *summary, const char *comment);

/* Parses a raw message; CL_EINVALID names what is wrong. */
int cl_message_parse(cl_message *out, const char *raw, cl_error *err);
void cl_message_release(cl_message *m);

/*
 * Normalizes a comment: refuses NUL, invalid UTF-8 and control characters
 * other than newline and tab, and lines starting with "---" (git treats
 * such a line as the end of the message in some commands); removes
 * leading and trailing blank lines and trailing spaces.  *out is NULL
 * when nothing is left.
 */
int cl_message_clean_comment(char **out, const char *in, cl_error *err);

#endif
