/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "template.h"

#include "log.h"
#include "settings.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A template saved on Windows (CRLF line ends, a byte order mark)
   reads as the same text with LF: as it was, its first line never
   matched "Subject:" and a blank line, and cirmd refused to start. */
static void
windows_text(char *buf)
{
	size_t j = 0, i = strncmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

	for (; buf[i] != '\0'; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			continue;
		buf[j++] = buf[i];
	}
	buf[j] = '\0';
}

static char *
load(const char *path, char **error_r)
{
	/* O_NONBLOCK: a named pipe among the templates must not hang
	   cirmd (or workflow check) in open(2) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	FILE *f = NULL;
	char *buf;
	size_t n;
	int line;

	if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (fd >= 0)
		f = fdopen(fd, "r");
	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = xmalloc(TEMPLATE_MAX_SIZE + 1);
	n = fread(buf, 1, TEMPLATE_MAX_SIZE + 1, f);
	fclose(f);
	if (n > TEMPLATE_MAX_SIZE) {
		*error_r = xasprintf("%s: larger than %d bytes", path,
				     TEMPLATE_MAX_SIZE);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	windows_text(buf);
	/* Sent as UTF-8: a file saved as ISO-8859-1 would reach citizens
	   with its å, ä and ö broken. */
	if ((line = utf8_bad_line(buf)) > 0) {
		*error_r = xasprintf("%s:%d: not UTF-8: save the file as "
				     "UTF-8", path, line);
		free(buf);
		return NULL;
	}
	return buf;
}

/* The value of variable NAME (LEN bytes): that of the variable so
   named, else of one named "PREFIX.*" (for a check: "timer.*" stands
   for every timer), or NULL. */
static const char *
lookup(const struct template_var *vars, size_t nvars, const char *name,
       size_t len)
{
	for (size_t i = 0; i < nvars; i++) {
		if (strlen(vars[i].name) == len &&
		    strncmp(vars[i].name, name, len) == 0)
			return vars[i].value;
	}
	for (size_t i = 0; i < nvars; i++) {
		size_t n = strlen(vars[i].name);

		if (n >= 2 && strcmp(vars[i].name + n - 2, ".*") == 0 &&
		    len > n - 1 && strncmp(vars[i].name, name, n - 1) == 0)
			return vars[i].value;
	}
	return NULL;
}

const char *const template_variables[] = {
	"case.number", "case.subject", "case.received", "case.state",
	"case.category", "case.priority", "case.due", "case.history",
	"municipality.name", "message.text", "message.signed", "handler.name",
	"commands.help",
	"citizen.language", "citizen.cases", "case.continues",
	"case.mentions", "case.received_long", "case.closed", "message.sender",
	"case.last_answer", "citizen.from", "case.sms", "case.citizen_text",
	"sender.name", "continues.last_answer", "continues.handler",
	"case.merged_into", "message.unsigned", "message.signoff",
	"handler.away", "citizen.sms_stopped", "message.signer",
	"message.signer_phone", "reader.informed", "citizen.number",
	"message.signature", "reader.named", NULL
};

#define SECTIONS_MAX 8

/* Whether the tag at OPEN..CLOSE+2 stands alone on its line: then the
   line's newline goes with it, so that sections leave no blank lines. */
static bool
alone(const char *text, const char *open, const char *end)
{
	return (open == text || open[-1] == '\n') && *end == '\n';
}

/* The line of a "}}" in P..END that closes no "{{" (one brace of the
   pair lost in an edit: the citizen would get "{case.number}}" as it
   is), or 0. LINE is the line P is on. */
static int
stray_close(const char *p, const char *end, int line)
{
	for (; p + 1 < end; p++) {
		if (p[0] == '}' && p[1] == '}')
			return line;
		line += *p == '\n';
	}
	return 0;
}

/* Where the tag opened at OPEN ends: its "}}" on the same line, before
   any other "{{"; else NULL (a "}}" further on closes something else,
   and taking it would name half the template as a variable). */
static const char *
tag_end(const char *open)
{
	for (const char *q = open + 2; *q != '\0' && *q != '\n'; q++) {
		if (q[0] == '}' && q[1] == '}')
			return q;
		if (q[0] == '{' && q[1] == '{')
			return NULL;
	}
	return NULL;
}

/* The one variable of VARS a slip of the keyboard from NAME (LEN bytes;
   a letter off, or two in a name of six or more), for "did you mean",
   or NULL when none or several are. */
static const char *
near_var(const struct template_var *vars, size_t nvars, const char *name,
	 size_t len)
{
	char buf[65];
	struct near_search n;

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	near_start(&n, buf);
	for (size_t i = 0; i < nvars; i++)
		if (strchr(vars[i].name, '*') == NULL)
			near_weigh(&n, vars[i].name, vars[i].name);
	return near_found(&n);
}

/* Fills the {{places}} of TEXT (starting at line LINE of PATH), and its
   sections: {{#if name}} ... {{else}} ... {{/if}}, kept when the
   variable is not empty. Every name must be known, in a section left
   out too. Each problem goes into PROBLEMS as "PATH:LINE: message":
   every unknown variable, which is read past as an empty one, and the
   first broken brace or section, after which what the text means is
   unsure: it sets *BROKEN_R and ends the reading. NULL when there was
   any problem. */
static char *
fill(const char *path, int line, const char *text,
     const struct template_var *vars, size_t nvars,
     struct strlist *problems, bool *broken_r)
{
	char *out = NULL;
	size_t len = 0, nproblems = problems->n;
	FILE *f = open_memstream(&out, &len);
	const char *p = text;
	bool on[SECTIONS_MAX + 1] = { true }, seen_else[SECTIONS_MAX + 1];
	int depth = 0, if_line[SECTIONS_MAX + 1];

	while (*p != '\0' && !*broken_r) {
		const char *open = strstr(p, "{{"), *close, *name, *value;
		size_t nlen;
		int kind = 0;	/* 0 variable, 1 #if, 2 else, 3 /if */
		int stray = stray_close(p, open != NULL ? open : p + strlen(p),
					line);

		if (stray > 0) {
			strlist_addf(problems, "%s:%d: '}}' without '{{'", path,
				     stray);
			*broken_r = true;
			break;
		}
		if (open == NULL) {
			if (on[depth])
				fputs(p, f);
			for (const char *q = p; *q != '\0'; q++)
				line += *q == '\n';
			break;
		}
		for (const char *q = p; q < open; q++)
			line += *q == '\n';
		if (on[depth])
			fwrite(p, 1, (size_t)(open - p), f);
		close = tag_end(open);
		name = open + 2 + strspn(open + 2, " ");
		if (strncmp(name, "#if ", 4) == 0) {
			kind = 1;
			name += 4 + strspn(name + 4, " ");
		} else if (strncmp(name, "else", 4) == 0 &&
			   (name[4] == '}' || name[4] == ' ')) {
			kind = 2;
		} else if (strncmp(name, "/if", 3) == 0 &&
			   (name[3] == '}' || name[3] == ' ')) {
			kind = 3;
		}
		nlen = close != NULL ? (size_t)(close - name) : 0;
		while (nlen > 0 && name[nlen - 1] == ' ')
			nlen--;
		value = close != NULL && kind < 2 ?
			lookup(vars, nvars, name, nlen) : NULL;
		if (close != NULL && kind < 2 && value == NULL) {
			const char *near = near_var(vars, nvars, name, nlen);

			strlist_addf(problems, "%s:%d: unknown variable '%.*s'"
				     "%s%s%s", path, line, (int)nlen, name,
				     near != NULL ? " (did you mean '" : "",
				     near != NULL ? near : "",
				     near != NULL ? "'?)" : "");
			value = "";
		}
		if (close == NULL || (kind == 1 && depth == SECTIONS_MAX) ||
		    (kind >= 2 && depth == 0) ||
		    (kind == 2 && seen_else[depth])) {
			char *msg = close == NULL ?
				xasprintf("%s:%d: '{{' without '}}'", path, line) :
				kind == 1 ?
				xasprintf("%s:%d: sections nested too deep", path,
					  line) :
				kind == 2 && depth > 0 ?
				xasprintf("%s:%d: a second {{else}}", path,
					  line) :
				xasprintf("%s:%d: {{%s}} outside {{#if}}", path,
					  line, kind == 2 ? "else" : "/if");

			strlist_add(problems, msg);
			free(msg);
			*broken_r = true;
			break;
		}
		switch (kind) {
		case 0:
			if (on[depth])
				fputs(value, f);
			break;
		case 1:
			depth++;
			if_line[depth] = line;
			on[depth] = on[depth - 1] && *value != '\0';
			seen_else[depth] = false;
			break;
		case 2:
			seen_else[depth] = true;
			on[depth] = on[depth - 1] && !on[depth];
			break;
		case 3:
			depth--;
			break;
		}
		p = close + 2;
		if (kind > 0 && alone(text, open, p)) {
			p++;
			line++;
		}
	}
	fclose(f);
	if (depth > 0 && !*broken_r) {
		/* the line of the section left open, not the file's end */
		strlist_addf(problems, "%s:%d: {{#if}} without {{/if}}", path,
			     if_line[depth]);
		*broken_r = true;
	}
	if (problems->n > nproblems) {
		free(out);
		return NULL;
	}
	return out;
}

/* The file for NAME in LANG, or in "sv" when LANG has none. */
static char *
template_path(const char *dir, const char *lang, const char *name)
{
	char *path = xasprintf("%s/%s/%s", dir, lang, name);

	if (access(path, F_OK) < 0 && strcmp(lang, "sv") != 0) {
		free(path);
		path = xasprintf("%s/sv/%s", dir, name);
	}
	return path;
}

int
template_exists(const char *dir, const char *lang, const char *name)
{
	char *path = template_path(dir, lang, name);
	int ok = access(path, R_OK) == 0;

	free(path);
	return ok;
}

static int render_text(const char *path, const char *text,
		       const struct template_var *vars, size_t nvars,
		       char **subject_r, char **body_r, char **error_r);

/* A text of nothing but white space: an empty file, or one cut short
   by a failed save, would send citizens an empty mail or SMS. */
static bool
blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* Renders TEXT, the contents of the template file PATH. */
static int
render(const char *path, const char *text, const struct template_var *vars,
       size_t nvars, char **subject_r, char **body_r, char **error_r)
{
	size_t plen = strlen(path);
	bool sms = plen > 4 && strcmp(path + plen - 4, ".sms") == 0;
	int ret = render_text(path, text, vars, nvars, subject_r, body_r,
			      error_r);

	if (ret == 0 && blank(*body_r)) {
		/* the line where the text begins */
		*error_r = xasprintf("%s:%d: the text is empty: an empty "
				     "message would be sent", path,
				     sms ? 1 : 3);
		free(*subject_r);
		free(*body_r);
		*subject_r = *body_r = NULL;
		return -1;
	}
	return ret;
}

static int
render_text(const char *path, const char *text,
	    const struct template_var *vars, size_t nvars, char **subject_r,
	    char **body_r, char **error_r)
{
	const char *nl = strchr(text, '\n'), *body;
	size_t plen = strlen(path);
	struct strlist problems = { 0 };
	bool broken = false;
	char *subject;

	/* An SMS has no subject: its whole file is the text. */
	if (plen > 4 && strcmp(path + plen - 4, ".sms") == 0) {
		*subject_r = xstrdup("");
		*body_r = fill(path, 1, text, vars, nvars, &problems, &broken);
		if (*body_r == NULL) {
			free(*subject_r);
			*subject_r = NULL;
			*error_r = strlist_join_sep(&problems, "\n");
			strlist_clear(&problems);
			return -1;
		}
		/* The file's last line break is not part of the message. */
		plen = strlen(*body_r);
		while (plen > 0 && ((*body_r)[plen - 1] == '\n' ||
				    (*body_r)[plen - 1] == ' '))
			(*body_r)[--plen] = '\0';
		return 0;
	}
	if (strncmp(text, "Subject:", 8) != 0 || nl == NULL ||
	    (nl[1] != '\n' && nl[1] != '\0')) {
		*error_r = xasprintf("%s:1: must start with a 'Subject:' line and "
				     "a blank line", path);
		return -1;
	}
	subject = xstrndup(text, (size_t)(nl - text));
	body = nl[1] == '\0' ? nl + 1 : nl + 2;
	/* "Subject:" and nothing after it, as a line cut short in an
	   edit: every mail from the template would go without one */
	if (blank(subject + 8)) {
		*error_r = xasprintf("%s:1: the subject is empty: write it "
				     "after 'Subject:'", path);
		free(subject);
		return -1;
	}
	*subject_r = fill(path, 1, subject + 8 + strspn(subject + 8, " "), vars,
			  nvars, &problems, &broken);
	free(subject);
	/* the body's problems too, unless the subject's leave it unsure
	   what the file means */
	*body_r = broken ? NULL :
		fill(path, 3, body, vars, nvars, &problems, &broken);
	/* "Nytt ärende [KS-...] {{case.subject}}" with no subject: no
	   blank left at the end of the line */
	if (*subject_r != NULL) {
		size_t n = strlen(*subject_r);

		while (n > 0 && ((*subject_r)[n - 1] == ' ' ||
				 (*subject_r)[n - 1] == '\t'))
			(*subject_r)[--n] = '\0';
	}
	if (*subject_r == NULL || *body_r == NULL) {
		free(*subject_r);
		free(*body_r);
		*subject_r = *body_r = NULL;	/* the caller may free both */
		*error_r = strlist_join_sep(&problems, "\n");
		strlist_clear(&problems);
		return -1;
	}
	return 0;
}

int
template_render(const char *dir, const char *lang, const char *name,
		const struct template_var *vars, size_t nvars,
		char **subject_r, char **body_r, char **error_r)
{
	char *path = template_path(dir, lang, name), *text;
	int ret = -1;

	text = load(path, error_r);
	if (text != NULL)
		ret = render(path, text, vars, nvars, subject_r, body_r, error_r);
	free(text);
	free(path);
	return ret;
}

bool
template_answer_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 64 || name[0] == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	     p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' &&
		    *p < 0x80)
			return false;
	return utf8_bad_line(name) == 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* template_answers(), and with WARN a line in the log for each file
   that cannot be a standard answer by its name ("tack.txt"), for the
   administrator who put it there. */
static void
answers_read(const char *dir, const char *lang, struct strlist *names,
	     bool warn)
{
	char *path = xasprintf("%s/%s/answers", dir, lang);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t first = names->n;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (template_answer_name(e->d_name))
			strlist_add(names, e->d_name);
		else if (warn && e->d_name[0] != '.')
			log_warnx("%s/%s: not a standard answer's name "
				  "(letters, digits, - and _ only): #mall "
				  "cannot name it", path, e->d_name);
	}
	if (d != NULL)
		closedir(d);
	free(path);
	if (names->n - first > 1)
		qsort(names->v + first, names->n - first, sizeof(*names->v),
		      cmp_name);
}

void
template_answers(const char *dir, const char *lang, struct strlist *names)
{
	answers_read(dir, lang, names, false);
}

char *
template_dir_problem(const char *dir)
{
	const char *const *langs = settings[CFG_LANGUAGE].choices;
	struct stat st;
	DIR *d = opendir(dir);

	if (d == NULL)
		return xasprintf("cannot be read: %s", strerror(errno));
	closedir(d);
	for (size_t i = 0; langs[i] != NULL; i++) {
		char *path = xasprintf("%s/%s", dir, langs[i]);
		int ok = stat(path, &st) == 0 && S_ISDIR(st.st_mode);

		free(path);
		if (ok)
			return NULL;
	}
	return xstrdup("has no language directories (sv/, en/): it must be "
		       "the directory that holds them");
}

struct template_entry {
	char *lang, *name, *path;
	char *text;		/* NULL: could not be read, ERROR says why */
	char *error;
};

struct template_cache {
	char *dir;
	struct template_entry *v;
	size_t n;
	/* the standard answers' names, per language of
	   settings[CFG_LANGUAGE].choices */
	struct strlist answers[4];
};

static void
cache_add(struct template_cache *cache, const char *lang, const char *name)
{
	struct template_entry *e;
	char *err = NULL;

	cache->v = xrealloc(cache->v, (cache->n + 1) * sizeof(*cache->v));
	e = &cache->v[cache->n++];
	e->lang = xstrdup(lang);
	e->name = xstrdup(name);
	e->path = xasprintf("%s/%s/%s", cache->dir, lang, name);
	e->text = load(e->path, &err);
	e->error = err;
	if (e->text != NULL) {
		/* load() allocates the largest size a template may have. */
		char *t = xstrdup(e->text);

		free(e->text);
		e->text = t;
	}
}

/* Every file of the language directories (those cirm writes in), read
   now: a file edited or half-saved later is not seen before the next
   reload, and one that reload refuses leaves the texts as they were. */
struct template_cache *
template_cache_new(const char *dir)
{
	struct template_cache *cache = xcalloc(1, sizeof(*cache));
	const char *const *langs = settings[CFG_LANGUAGE].choices;

	cache->dir = xstrdup(dir);
	for (size_t i = 0; langs[i] != NULL; i++) {
		char *path = xasprintf("%s/%s", dir, langs[i]);
		DIR *d = opendir(path);
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL) {
			struct stat st;

			/* not answers/, the standard answers (#mall) */
			if (e->d_name[0] == '.' ||
			    (e->d_type == DT_DIR ||
			     (e->d_type == DT_UNKNOWN &&
			      fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
			      S_ISDIR(st.st_mode))))
				continue;
			cache_add(cache, langs[i], e->d_name);
		}
		if (d != NULL)
			closedir(d);
		free(path);
		if (i < N_ELEMENTS(cache->answers))
			answers_read(dir, langs[i], &cache->answers[i], true);
	}
	return cache;
}

const struct strlist *
template_cache_answers(const struct template_cache *cache, const char *lang)
{
	const char *const *langs = settings[CFG_LANGUAGE].choices;

	for (size_t i = 0; langs[i] != NULL && i < N_ELEMENTS(cache->answers);
	     i++)
		if (strcmp(langs[i], lang) == 0)
			return &cache->answers[i];
	return NULL;
}

static void
entry_clear(struct template_entry *e)
{
	free(e->lang);
	free(e->name);
	free(e->path);
	free(e->text);
	free(e->error);
}

void
template_cache_free(struct template_cache **cachep)
{
	struct template_cache *cache = *cachep;

	if (cache == NULL)
		return;
	for (size_t i = 0; i < cache->n; i++)
		entry_clear(&cache->v[i]);
	for (size_t i = 0; i < N_ELEMENTS(cache->answers); i++)
		strlist_clear(&cache->answers[i]);
	free(cache->v);
	free(cache->dir);
	free(cache);
	*cachep = NULL;
}

static struct template_entry *
entry(const struct template_cache *cache, const char *lang, const char *name)
{
	for (size_t i = 0; i < cache->n; i++) {
		if (strcmp(cache->v[i].lang, lang) == 0 &&
		    strcmp(cache->v[i].name, name) == 0)
			return &cache->v[i];
	}
	return NULL;
}

/* NAME in LANG, or in "sv" when LANG has none (as template_path). */
static struct template_entry *
find(const struct template_cache *cache, const char *lang, const char *name)
{
	struct template_entry *e = entry(cache, lang, name);

	return e != NULL ? e : entry(cache, "sv", name);
}

int
template_cache_exists(const struct template_cache *cache, const char *lang,
		      const char *name)
{
	return find(cache, lang, name) != NULL;
}

/* Whether E renders with every variable cirm gives; else -1 with
   *ERROR_R saying where it does not. */
static int
entry_renders(const struct template_entry *e, char **error_r)
{
	struct template_var *vars;
	char *subject = NULL, *body = NULL;
	size_t n = 0;
	int rc;

	if (e->text == NULL) {
		*error_r = xstrdup(e->error);
		return -1;
	}
	while (template_variables[n] != NULL)
		n++;
	/* every variable, however many there come to be, and one more */
	vars = xcalloc(n + 1, sizeof(*vars));
	for (n = 0; template_variables[n] != NULL; n++) {
		vars[n].name = template_variables[n];
		vars[n].value = "x";
	}
	/* a workflow's timers: which exist, workflow check says */
	vars[n].name = "timer.*";
	vars[n++].value = "x";
	rc = render(e->path, e->text, vars, n, &subject, &body, error_r);
	free(vars);
	free(subject);
	free(body);
	return rc < 0 ? -1 : 0;
}

size_t
template_cache_keep(struct template_cache *cache,
		    const struct template_cache *previous,
		    struct strlist *errors)
{
	size_t kept = 0;

	for (size_t i = 0; i < cache->n; i++) {
		struct template_entry *e = &cache->v[i];
		const struct template_entry *p = entry(previous, e->lang,
						       e->name);
		char *err = NULL, *old_err = NULL, *last;

		if (p == NULL || entry_renders(e, &err) == 0 ||
		    entry_renders(p, &old_err) < 0) {
			free(err);
			free(old_err);
			continue;
		}
		/* each problem a line; the last says what is done */
		last = strrchr(err, '\n') != NULL ? strrchr(err, '\n') + 1 :
			err;
		for (char *save, *line = strtok_r(err, "\n", &save);
		     line != NULL; line = strtok_r(NULL, "\n", &save)) {
			if (line != last)
				strlist_add(errors, line);
			else
				strlist_addf(errors, "%s; the text read before "
					     "stays in use until the file is "
					     "fixed", line);
		}
		free(err);
		free(e->text);
		free(e->error);
		e->text = xstrdup(p->text);
		e->error = NULL;
		kept++;
	}
	return kept;
}

int
template_cache_keep_gone(struct template_cache *cache,
			 const struct template_cache *previous,
			 const char *lang, const char *name)
{
	const struct template_entry *p;
	struct template_entry *e;
	char *err = NULL;

	if (previous == NULL || entry(cache, lang, name) != NULL)
		return 0;
	p = entry(previous, lang, name);
	if (p == NULL || entry_renders(p, &err) < 0) {
		free(err);
		return 0;
	}
	cache->v = xrealloc(cache->v, (cache->n + 1) * sizeof(*cache->v));
	e = &cache->v[cache->n++];
	e->lang = xstrdup(lang);
	e->name = xstrdup(name);
	e->path = xstrdup(p->path);
	e->text = xstrdup(p->text);
	e->error = NULL;
	return 1;
}

int
template_cache_renders(const struct template_cache *cache, const char *lang,
		       const char *name, char **error_r)
{
	const struct template_entry *e = find(cache, lang, name);

	if (e == NULL) {
		*error_r = xasprintf("%s/%s/%s: no such template", cache->dir,
				     lang, name);
		return -1;
	}
	return entry_renders(e, error_r);
}

int
template_cache_uses(const struct template_cache *cache, const char *lang,
		    const char *name, const char *var)
{
	const struct template_entry *e = find(cache, lang, name);

	return e == NULL || e->text == NULL || strstr(e->text, var) != NULL;
}

int
template_cache_render(struct template_cache *cache, const char *lang,
		      const char *name, const struct template_var *vars,
		      size_t nvars, char **subject_r, char **body_r,
		      char **error_r)
{
	const struct template_entry *e = find(cache, lang, name);

	if (e == NULL) {
		*error_r = xasprintf("%s/%s/%s: no such template (the templates "
				     "are read at start and reload)",
				     cache->dir, lang, name);
		return -1;
	}
	if (e->text == NULL) {
		*error_r = xstrdup(e->error);
		return -1;
	}
	return render(e->path, e->text, vars, nvars, subject_r, body_r, error_r);
}
