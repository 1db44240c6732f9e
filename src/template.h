/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_TEMPLATE_H
#define CIRM_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

/* Texts to citizens and handlers: DIR/LANG/NAME holds a "Subject: ..."
   line, a blank line and the body, with {{variable}} places filled from
   VARS; NAME.sms (an SMS variant) is the text alone, without a subject.
   A variable the template uses that VARS lacks is an error with
   file:line, never an empty gap in a citizen's mail. */

#define TEMPLATE_MAX_SIZE 65536

struct template_var {
	const char *name;
	const char *value;
};

/* The variables cirm gives every template, NULL-terminated; a template
   using any other is refused (by cirmctl workflow check, before a
   citizen could ever get a gap). Sections {{#if name}} ... {{else}} ...
   {{/if}} are kept when the variable is not empty. */
extern const char *const template_variables[];

/* Renders template NAME in language LANG (falling back to "sv" when the
   language has no such template). Returns 0 with *subject_r and *body_r
   (caller frees), or -1 with *error_r: a line "file:line: message" for
   each problem of the file (every unknown variable; a broken brace or
   section ends the reading, so it is the last). */
int template_render(const char *dir, const char *lang, const char *name,
		    const struct template_var *vars, size_t nvars,
		    char **subject_r, char **body_r, char **error_r);

/* Whether template NAME exists in LANG (or in "sv"). */
int template_exists(const char *dir, const char *lang, const char *name);

/* Standard answers (#mall NAME): DIR/LANG/answers/NAME, plain text that
   a case officer's reply takes as written. Whether NAME can name one:
   1 to 64 bytes of letters (Swedish ones too), digits, '-' and '_'
   (not first), so that it names a file there and nothing beside; a
   handler writes it in any case. */
bool template_answer_name(const char *name);
struct strlist;
/* The names of the standard answers in LANG, sorted, added to NAMES. */
void template_answers(const char *dir, const char *lang,
		      struct strlist *names);

/* NULL when DIR can hold cirm's templates: a directory that can be
   read, with a subdirectory for a language cirm writes in; else why
   not, in English (caller frees). */
char *template_dir_problem(const char *dir);

/* Template files read once and kept: cirmd renders an acknowledgement
   for every new case. A cache lives as long as the configuration it was
   made from (cirmd makes a new one when SIGHUP reloads), so an edited
   template takes effect at the next reload, and a refused reload keeps
   the texts that were in use. */
struct template_cache;

/* Reads every file of the language directories of DIR now (one that
   cannot be read is kept as its error, told when it is rendered). */
struct template_cache *template_cache_new(const char *dir);
void template_cache_free(struct template_cache **cache);
/* After a reload: each template of CACHE that does not render (a file
   broken since PREVIOUS read it: an unknown variable, not UTF-8) takes
   PREVIOUS's good text instead, as a bad workflow file leaves its last
   good version running. Adds "file:line: message" to ERRORS for each
   problem of each; returns how many templates. */
size_t template_cache_keep(struct template_cache *cache,
			   const struct template_cache *previous,
			   struct strlist *errors);
/* After a reload: template NAME of LANG itself (no fallback to "sv"),
   which the files no longer have (removed) but a workflow version that
   cases still run sends, takes PREVIOUS's text when PREVIOUS had a good
   one, so that those cases keep getting it until cirmd restarts.
   1 when it was kept so, else 0. */
int template_cache_keep_gone(struct template_cache *cache,
			     const struct template_cache *previous,
			     const char *lang, const char *name);
/* Whether template NAME in LANG, as template_cache_render finds it,
   renders with every variable cirm gives (timer.* as any timer): 0, or
   -1 with *ERROR_R (caller frees) for one that does not or cannot be
   read. A template that is not there is template_cache_exists's. */
int template_cache_renders(const struct template_cache *cache,
			   const char *lang, const char *name,
			   char **error_r);
/* The names of the standard answers in LANG (template_answers) as they
   were when the cache was made, or NULL for a language cirm does not
   write in. */
const struct strlist *template_cache_answers(
	const struct template_cache *cache, const char *lang);
/* Whether NAME is in the cache in LANG (or in "sv"). */
int template_cache_exists(const struct template_cache *cache,
			  const char *lang, const char *name);
/* Whether template NAME in LANG (as template_cache_render finds it)
   names VAR: 0 only when it surely does not, so that a value costly to
   make is made only for the templates that show it. */
int template_cache_uses(const struct template_cache *cache, const char *lang,
			const char *name, const char *var);
/* As template_render, from the cache. */
int template_cache_render(struct template_cache *cache, const char *lang,
			  const char *name, const struct template_var *vars,
			  size_t nvars, char **subject_r, char **body_r,
			  char **error_r);

#endif
