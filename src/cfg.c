/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cfg.h"

#include "i18n.h"
#include "secret.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct cfg {
	char *path;
	char *dir;
	char *value[SETTING_COUNT];
	int line[SETTING_COUNT]; /* 0: default */
	int seen[SETTING_COUNT]; /* first line naming it, valid or not */
};

static char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	return xasprintf("%s/%s", cwd, path);
}

static char *
resolve(const struct cfg *cfg, const char *value)
{
	if (value[0] == '/')
		return xstrdup(value);
	return xasprintf("%s/%s", cfg->dir, value);
}

static struct cfg *
cfg_new(const char *path)
{
	struct cfg *cfg = xcalloc(1, sizeof(*cfg));
	char *slash;

	cfg->path = absolute_path(path);
	cfg->dir = xstrdup(cfg->path);
	slash = strrchr(cfg->dir, '/');
	if (slash == cfg->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return cfg;
}

static void
cfg_set(struct cfg *cfg, enum setting_id id, const char *value, int line)
{
	enum setting_type t = settings[id].type;

	free(cfg->value[id]);
	if (t == SETTING_PATH || t == SETTING_SECRET_PATH)
		cfg->value[id] = resolve(cfg, value);
	else
		cfg->value[id] = xstrdup(value);
	cfg->line[id] = line;
}

struct cfg *
cfg_defaults(const char *path)
{
	struct cfg *cfg = cfg_new(path);

	for (size_t i = 0; i < SETTING_COUNT; i++)
		cfg_set(cfg, (enum setting_id)i, settings[i].def, 0);
	return cfg;
}

void
cfg_free(struct cfg **cfgp)
{
	struct cfg *cfg = *cfgp;

	if (cfg == NULL)
		return;
	for (size_t i = 0; i < SETTING_COUNT; i++)
		free(cfg->value[i]);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
	*cfgp = NULL;
}

/* NULL when VALUE suits DEF, else a translated reason. */
static char *
check_value(const struct setting_def *def, const char *value)
{
	const char *reason;
	long n;

	switch (def->type) {
	case SETTING_INT:
		if (str_to_long(value, def->min, def->max, &n) < 0)
			return xasprintf(_("'%s' must be a whole number from %ld "
					   "to %ld"), def->name, def->min, def->max);
		return NULL;
	case SETTING_BOOL:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return xasprintf(_("'%s' must be yes or no"), def->name);
		return NULL;
	case SETTING_ENUM:
		for (size_t i = 0; def->choices[i] != NULL; i++) {
			if (strcmp(value, def->choices[i]) == 0)
				return NULL;
		}
		{
			char *all, *msg;
			size_t len = 0;

			for (size_t i = 0; def->choices[i] != NULL; i++)
				len += strlen(def->choices[i]) + 2;
			all = xcalloc(1, len + 1);
			for (size_t i = 0; def->choices[i] != NULL; i++) {
				if (i > 0)
					strcat(all, ", ");
				strcat(all, def->choices[i]);
			}
			msg = xasprintf(_("'%s' must be one of: %s"), def->name, all);
			free(all);
			return msg;
		}
	case SETTING_STRING:
		if (value[0] == '\0')
			return xasprintf(_("'%s' must not be empty"), def->name);
		reason = def->check != NULL ? def->check(value) : NULL;
		if (reason != NULL)
			return xasprintf("'%s' %s", def->name, _(reason));
		return NULL;
	case SETTING_PATH:
	case SETTING_SECRET_PATH:
		if (value[0] == '\0')
			return xasprintf(_("'%s' must not be empty"), def->name);
		return NULL;
	}
	return NULL;
}

static void
trim(char **s, char **end)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
	while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' ||
			     (*end)[-1] == '\r' || (*end)[-1] == '\n'))
		(*end)--;
	**end = '\0';
}

/* Whether VALUE ends in the marker cirmctl config puts after a default
   ("  # default", in any language it speaks: the file is read the same
   whatever the locale of the program reading it), copied along with
   it. */
static bool
copied_comment(const char *value)
{
	static const char *const words[] = { "default", "standardvärde" };
	const char *hash = strrchr(value, '#');

	if (hash == NULL || hash == value || (hash[-1] != ' ' &&
					      hash[-1] != '\t'))
		return false;
	hash++;
	hash += strspn(hash, " \t");
	for (size_t i = 0; i < N_ELEMENTS(words); i++)
		if (strcmp(hash, words[i]) == 0)
			return true;
	return false;
}

static void
parse_line(struct cfg *cfg, char *line, int lineno, struct strlist *errors)
{
	char *end = line + strlen(line), *eq, *name, *value, *msg;
	const struct setting_def *def;
	enum setting_id id;
	bool twice;

	trim(&line, &end);
	if (*line == '\0' || *line == '#')
		return;
	/* A file saved as ISO-8859-1: mail_name = Håbo kommun would go
	   into every mail as broken UTF-8. */
	if (utf8_bad_line(line) != 0) {
		strlist_addf(errors, _("%s:%d: not UTF-8: save the file as "
				       "UTF-8"), cfg->path, lineno);
		return;
	}
	eq = strchr(line, '=');
	if (eq == NULL) {
		strlist_addf(errors, _("%s:%d: expected 'name = value'"),
			     cfg->path, lineno);
		return;
	}
	name = line;
	end = eq;
	trim(&name, &end);
	value = eq + 1;
	end = value + strlen(value);
	trim(&value, &end);
	if (*name == '\0') {
		strlist_addf(errors, _("%s:%d: setting name missing before '='"),
			     cfg->path, lineno);
		return;
	}
	def = setting_find(name);
	if (def == NULL) {
		const struct setting_def *near = setting_near(name);

		if (near != NULL)
			strlist_addf(errors, _("%s:%d: unknown setting '%s' "
					       "(did you mean '%s'?)"),
				     cfg->path, lineno, name, near->name);
		else
			strlist_addf(errors, _("%s:%d: unknown setting '%s'"),
				     cfg->path, lineno, name);
		return;
	}
	id = (enum setting_id)(def - settings);
	/* a line copied from cirmctl config with its "  # default": in a
	   setting of free text (mail_name), the comment would go into
	   every mail to citizens */
	if (copied_comment(value)) {
		strlist_addf(errors, _("%s:%d: the value of %s ends in '%s', "
				       "as cirmctl config prints it: a '#' "
				       "begins a comment only at the start "
				       "of a line; remove it"), cfg->path,
			     lineno, name, strrchr(value, '#'));
		return;
	}
	/* the second value is checked too: both mistakes at once */
	twice = cfg->seen[id] != 0;
	if (twice)
		strlist_addf(errors, _("%s:%d: '%s' is set twice (first at line "
				       "%d)"), cfg->path, lineno, name,
			     cfg->seen[id]);
	else
		cfg->seen[id] = lineno;
	msg = check_value(def, value);
	if (msg != NULL) {
		/* The value as read: "sv # Swedish" explains itself. */
		if (*value == '\0')
			strlist_addf(errors, "%s:%d: %s", cfg->path, lineno, msg);
		else
			strlist_addf(errors, _("%s:%d: %s, not '%s'%s"),
				     cfg->path, lineno, msg, value,
				     strchr(value, '#') != NULL ?
					     _(" (a '#' begins a comment only "
					       "at the start of a line)") : "");
		free(msg);
		return;
	}
	if (!twice)
		cfg_set(cfg, id, value, lineno);
}

/* Secret files that exist must be private; a missing one is reported by
   whoever needs it. */
static void
check_secrets(struct cfg *cfg, struct strlist *errors)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		char *err = NULL;

		if (settings[i].type != SETTING_SECRET_PATH ||
		    secret_check(cfg->value[i], &err) >= 0)
			continue;
		if (cfg->line[i] != 0)
			strlist_addf(errors, "%s:%d: %s", cfg->path, cfg->line[i],
				     err);
		else
			strlist_addf(errors, "%s: %s", cfg->path, err);
		free(err);
	}
}

/* imap_tls or smtp_tls = none sends the login, the password and the
   mail in plain text: only to a server on this machine. The gateway
   refuses it too, but from cirm.conf the administrator hears it at once,
   with the line, instead of from a gateway restarted for ever. */
static void
check_plaintext(struct cfg *cfg, struct strlist *errors)
{
	static const struct {
		enum setting_id tls, host;
	} pairs[] = {
		{ CFG_IMAP_TLS, CFG_IMAP_HOST },
		{ CFG_SMTP_TLS, CFG_SMTP_HOST },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *host = cfg->value[pairs[i].host];

		if (strcmp(cfg->value[pairs[i].tls], "none") != 0 ||
		    strcmp(host, "none") == 0 || host_is_loopback(host))
			continue;
		strlist_addf(errors, _("%s:%d: %s = none would send passwords "
				       "and mail unencrypted to %s: allowed "
				       "only for a server on this machine "
				       "(127.0.0.1, ::1, localhost)"),
			     cfg->path, cfg->line[pairs[i].tls],
			     settings[pairs[i].tls].name, host);
	}
}

/* imap_processed = move into the very mailbox fetched from: each
   message moved comes back under a new UID, is fetched again and moved
   again, for ever (INBOX is a name in any case, RFC 3501). */
static void
check_imap_folder(struct cfg *cfg, struct strlist *errors)
{
	const char *host = cfg->value[CFG_IMAP_HOST];
	const char *box = cfg->value[CFG_IMAP_MAILBOX];
	const char *folder = cfg->value[CFG_IMAP_PROCESSED_FOLDER];
	int line = cfg->line[CFG_IMAP_MAILBOX];

	if (*host == '\0' || strcmp(host, "none") == 0 ||
	    strcmp(cfg->value[CFG_IMAP_PROCESSED], "move") != 0)
		return;
	if (strcmp(box, folder) != 0 &&
	    (strcasecmp(box, "INBOX") != 0 || strcasecmp(folder, "INBOX") != 0))
		return;
	if (cfg->line[CFG_IMAP_PROCESSED_FOLDER] > line)
		line = cfg->line[CFG_IMAP_PROCESSED_FOLDER];
	strlist_addf(errors, _("%s:%d: imap_processed_folder is the mailbox "
			       "fetched from (%s): each message moved there "
			       "would be fetched again, for ever; name another "
			       "folder"), cfg->path, line, box);
}

/* Reads the next line of F, without its newline, into LINE (the first
   CFG_LINE_MAX bytes of it, NUL-terminated). Returns the line's length
   (CFG_LINE_MAX + 1 for any longer line, which is read to its end all
   the same), or -1 at the end of the file; *NUL_R tells whether the
   line holds a NUL byte, which fgets() would take for its end. */
static long
read_line(FILE *f, char line[CFG_LINE_MAX + 1], bool *nul_r)
{
	long len = 0;
	int c;

	*nul_r = false;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			*nul_r = true;
		if (len < CFG_LINE_MAX)
			line[len] = (char)c;
		if (len <= CFG_LINE_MAX)
			len++;
	}
	line[len < CFG_LINE_MAX ? len : CFG_LINE_MAX] = '\0';
	return c == EOF && len == 0 ? -1 : len;
}

int
cfg_load(const char *path, struct cfg **cfg_r, struct strlist *errors)
{
	size_t before = errors->n;
	char line[CFG_LINE_MAX + 1];
	long len;
	bool nul;
	struct cfg *cfg;
	int lineno = 0;
	struct stat st;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL) {
		int e = errno;
		char *why = secret_owner_error(path, e);

		if (why != NULL)
			strlist_add(errors, why);
		else
			strlist_addf(errors, _("%s: cannot read: %s"), path,
				     strerror(e));
		free(why);
		return -1;
	}
	cfg = cfg_new(path);
	/* Whoever can write it decides where mail goes and which key signs
	   (smtp_host, key_file): as a secret file, it is refused. */
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IWOTH) != 0)
		strlist_addf(errors, _("%s: anyone may write to the "
				       "configuration (mode %04o); run 'chmod "
				       "640 %s'"), cfg->path,
			     (unsigned int)(st.st_mode & 07777), cfg->path);
	while ((len = read_line(f, line, &nul)) >= 0) {
		lineno++;
		/* a file saved as UTF-16: its every other byte is 0 */
		if (nul) {
			strlist_addf(errors, _("%s:%d: holds a NUL byte: save "
					       "the file as UTF-8 (not "
					       "UTF-16)"), cfg->path, lineno);
			continue;
		}
		if (len > CFG_LINE_MAX) {
			strlist_addf(errors, _("%s:%d: line longer than %d bytes"),
				     cfg->path, lineno, CFG_LINE_MAX);
			continue;
		}
		/* a UTF-8 byte order mark, which some editors put first */
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			parse_line(cfg, line + 3, lineno, errors);
		else
			parse_line(cfg, line, lineno, errors);
	}
	if (ferror(f))
		strlist_addf(errors, _("%s: cannot read: %s"), cfg->path,
			     strerror(errno));
	fclose(f);
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (cfg->value[i] == NULL)
			cfg_set(cfg, (enum setting_id)i, settings[i].def, 0);
	}
	check_secrets(cfg, errors);
	check_plaintext(cfg, errors);
	check_imap_folder(cfg, errors);
	if (errors->n > before) {
		cfg_free(&cfg);
		return -1;
	}
	*cfg_r = cfg;
	return 0;
}

const char *
cfg_str(const struct cfg *cfg, enum setting_id id)
{
	return cfg->value[id];
}

long
cfg_int(const struct cfg *cfg, enum setting_id id)
{
	long v = 0;

	(void)str_to_long(cfg->value[id], LONG_MIN, LONG_MAX, &v);
	return v;
}

int
cfg_bool(const struct cfg *cfg, enum setting_id id)
{
	return strcmp(cfg->value[id], "yes") == 0;
}

int
cfg_line(const struct cfg *cfg, enum setting_id id)
{
	return cfg->line[id];
}

int
cfg_is_default(const struct cfg *cfg, enum setting_id id)
{
	return cfg->line[id] == 0;
}

char *
cfg_blame(const struct cfg *cfg, enum setting_id id)
{
	if (cfg->line[id] != 0)
		return xasprintf("%s:%d: %s = %s", cfg->path, cfg->line[id],
				 settings[id].name, cfg->value[id]);
	return xasprintf(_("%s: %s = %s (the default)"), cfg->path,
			 settings[id].name, cfg->value[id]);
}

const char *
cfg_path(const struct cfg *cfg)
{
	return cfg->path;
}

int
cfg_load_key(const struct cfg *cfg, unsigned char *key_r, char **error_r)
{
	char *err = NULL, *where;

	if (secret_key_load(cfg_str(cfg, CFG_KEY_FILE), key_r, &err) == 0)
		return 0;
	where = cfg_blame(cfg, CFG_KEY_FILE);
	*error_r = xasprintf("%s: %s", where, err);
	free(where);
	free(err);
	return -1;
}

void
cfg_dump(const struct cfg *cfg, FILE *out)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		fprintf(out, "%s = %s", settings[i].name, cfg->value[i]);
		if (cfg->line[i] == 0)
			fprintf(out, "  # %s", _("default"));
		fputc('\n', out);
	}
}

/* Writes TEXT as comment lines of at most about 72 columns. */
static void
write_comment(FILE *out, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n = strlen(p), cut = n;

		if (n > 70) {
			cut = 70;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = n;
		}
		fprintf(out, "# %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void
cfg_write_template(FILE *out)
{
	fputs("# cirm.conf: see cirm.conf(5). Every setting is shown at its\n"
	      "# built-in default; remove the '#' before one to change it.\n"
	      "# Relative paths are relative to this file's directory.\n", out);
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		const struct setting_def *d = &settings[i];

		fputc('\n', out);
		write_comment(out, d->help);
		if (d->type == SETTING_INT)
			fprintf(out, "# Range: %ld-%ld%s%s.\n", d->min, d->max,
				d->unit ? " " : "", d->unit ? d->unit : "");
		else if (d->type == SETTING_ENUM) {
			fputs("# One of:", out);
			for (size_t j = 0; d->choices[j] != NULL; j++)
				fprintf(out, " %s", d->choices[j]);
			fputs(".\n", out);
		}
		fprintf(out, "#%s = %s\n", d->name, d->def);
	}
}
