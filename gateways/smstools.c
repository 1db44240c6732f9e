/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The smstools gateway, the embedded default for SMS: it shares spool
   directories with smstools3's smsd, which drives a GSM modem.

     sms_spool_dir/incoming/  smsd writes what came; we queue each file
                              and remove it once the inbox row is
                              committed
     sms_spool_dir/outgoing/  we write one file per outbox row, named
                              cirm-<row id>-<created_at>; smsd takes
                              it from there
     sms_spool_dir/checked/   smsd's own queue (only looked at)
     sms_spool_dir/sent/      smsd moves a sent file here: the network
     sms_spool_dir/failed/    took it, or (with Fail_reason:) did not

   The file format is smstools3's (doc/fileformat.html): header lines
   "Name: value", case-sensitive, a blank line, the text. smsd.conf
   must name these directories and keep its defaults for
   keep_filename (yes) and English headers (no language_file). */
#include "config.h"

#include "sms.h"

#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SMSTOOLS_BATCH 1000	    /* files taken per scan */
#define SMSTOOLS_FILE_MAX 262144    /* bytes of one spool file: 255
				       UCS-2 parts are 34 KB of text */
#define STR(x) STR_(x)
#define STR_(x) #x
#define SMSTOOLS_HEADERS_MAX 600   /* header lines of one file: with
				       store_received_pdu, one PDU line
				       a part */
#define SMSTOOLS_FLUSH_EVERY 60	    /* s between looks for stale parts */
#define SMSTOOLS_SETTLE 10	    /* s a file without its empty line,
				       or with less text than its Length
				       header says, may still be being
				       written */
#define SMSTOOLS_PREFIX "cirm-"	    /* our files in outgoing/ */

struct spool {
	char *in, *out, *checked, *sent, *failed;
};

static int
enabled(const struct cfg *cfg)
{
	return strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smstools") == 0;
}

static void
spool_clear(struct spool *s)
{
	free(s->in);
	free(s->out);
	free(s->checked);
	free(s->sent);
	free(s->failed);
}

/* Names the directories and makes those missing, as the mail gateways
   make their Maildirs: with no configuration the spool is simply
   there for smsd (or a test, or an administrator) to use. */
static int
spool_open(const char *root, struct spool *s)
{
	char **dirs[] = { &s->in, &s->out, &s->checked, &s->sent, &s->failed };
	const char *names[] = { "incoming", "outgoing", "checked", "sent",
				"failed" };

	for (size_t i = 0; i < N_ELEMENTS(dirs); i++) {
		*dirs[i] = xasprintf("%s/%s", root, names[i]);
		if (mkdir_p(*dirs[i], 0770) < 0 && errno != EEXIST) {
			log_errorx("smstools: cannot create %s: %s", *dirs[i],
				   strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* --- outbound ---------------------------------------------------------- */

/* The smstools file for M, or NULL with a reason why M can never be
   sent (caller frees).

   The alphabet: smstools3 (>= 3.1.16, as in Debian since buster)
   documents "Alphabet: UTF-8" for a UTF-8 body, which it converts to
   the GSM alphabet, and "Alphabet: UCS2" for a body in UTF-16 big
   endian. "Alphabet: ISO" would mean ISO-8859-15 (or UTF-8, depending
   on smsd's outgoing_utf8) and cannot say the Greek letters of GSM-7,
   so it is not used. gsm_encode decides, so that smsd never has to:
   text that fits GSM-7 goes as UTF-8 (smsd makes it 160/153-septet
   parts), anything else as UCS-2 (70/67 units a part; emoji as
   surrogate pairs, which smsd passes on as they are). smsd splits long
   texts itself (autosplit, concatenated by default). */
static char *
outgoing_file(const struct outbound_msg *m, size_t *len_r, char **why_r)
{
	struct gsm_msg msg = { 0 };
	char *head, *file, *err = NULL;
	size_t hlen, blen;
	size_t digits = m->recipient[0] == '+' ?
		strspn(m->recipient + 1, "0123456789") : 0;

	/* (never a look past the end of an empty recipient) */
	if (m->recipient[0] != '+' || m->recipient[1 + digits] != '\0' ||
	    digits < 7 || digits > 15) {
		*why_r = xstrdup("the recipient is not an international "
				 "number (+ and 7 to 15 digits)");
		return NULL;
	}
	if (gsm_encode(m->data, m->len, GSM_AUTO, &msg, &err) < 0) {
		*why_r = xasprintf("the text cannot be an SMS: %s", err);
		free(err);
		return NULL;
	}
	if (gsm_count_parts(&msg, GSM_REF8) < 0) {
		gsm_msg_clear(&msg);
		*why_r = xasprintf("the text needs more than %d SMS",
				   GSM_PARTS_MAX);
		return NULL;
	}
	/* The number without '+', as smstools3 wants it. */
	head = xasprintf("To: %s\nAlphabet: %s\n\n", m->recipient + 1,
			 msg.enc == GSM_UCS2 ? "UCS2" : "UTF-8");
	hlen = strlen(head);
	blen = msg.enc == GSM_UCS2 ? 2 * msg.n : m->len;
	file = xmalloc(hlen + blen + 1);
	memcpy(file, head, hlen);
	if (msg.enc == GSM_UCS2)
		gsm_ucs2_pack(msg.u, msg.n, (uint8_t *)file + hlen);
	else
		memcpy(file + hlen, m->data, m->len);
	file[hlen + blen] = '\0';
	*len_r = hlen + blen;
	free(head);
	gsm_msg_clear(&msg);
	return file;
}

/* Whether smsd has taken NAME already (it is queued, sent or failed):
   then a row left 'sending' by a crash must not go out a second time. */
static int
taken_by_smsd(const struct spool *s, const char *name)
{
	const char *dirs[] = { s->checked, s->sent, s->failed };

	for (size_t i = 0; i < N_ELEMENTS(dirs); i++) {
		char *p = xasprintf("%s/%s", dirs[i], name);
		int there = access(p, F_OK) == 0;

		free(p);
		if (there)
			return 1;
	}
	return 0;
}

/* The name of M's file: its row id and the time the row was made.
   smsd keeps the files it has taken (checked/, and sent/ and failed/
   until we read them), and a row id can be given again: a restore puts
   back an outbox without the rows made since the backup, and the
   newest rows go with their case. Under the id alone, a new row whose
   name was such a file's was never written (taken_by_smsd) and got the
   other message's outcome. The same row always has the same name,
   which crash recovery needs. A row a cirm before this one left in
   flight (M->leftover) had its file named cirm-<row id>: that name,
   when such a file is there, so that it is neither written twice nor
   its outcome lost. */
static char *
file_name(const struct spool *s, const struct outbound_msg *m)
{
	if (m->leftover) {
		char *old = xasprintf(SMSTOOLS_PREFIX "%lld", (long long)m->id);
		char *p = xasprintf("%s/%s", s->out, old);
		int there = access(p, F_OK) == 0 || taken_by_smsd(s, old);

		free(p);
		if (there)
			return old;
		free(old);
	}
	return xasprintf(SMSTOOLS_PREFIX "%lld-%lld", (long long)m->id,
			 (long long)m->created_at);
}

/* Writes DATA as outgoing/NAME: a hidden temporary name first (smsd
   skips names that begin with a dot), fsynced, then renamed, and the
   directory fsynced, so that smsd never sees half a file and a file
   once reported written survives a power cut. The same NAME written
   again (after a crash) replaces the first copy. */
static int
write_outgoing(const struct spool *s, const char *name, const char *data,
	       size_t len, char **error_r)
{
	char *tmp = xasprintf("%s/.%s.tmp", s->out, name);
	char *dst = xasprintf("%s/%s", s->out, name);
	int fd, r = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0660);
	if (fd < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0 || (fd = -1, rename(tmp, dst) < 0) ||
	    fsync_dir(s->out) < 0) {
		*error_r = xasprintf("cannot write to %s: %s", s->out,
				     strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	} else
		r = 0;
	free(tmp);
	free(dst);
	return r;
}

static int
send_batch(struct gateway_ctx *ctx, struct outbound_batch *b, void *arg)
{
	const struct spool *s = arg;
	int written = 0;

	for (size_t i = 0; i < b->n && !gateway_stopping(); i++) {
		struct outbound_msg *m = &b->v[i];
		char *file, *why = NULL, *name;
		size_t len;
		int r;

		file = outgoing_file(m, &len, &why);
		if (file == NULL) {
			r = outbound_fail(ctx, m, why);
			free(why);
			if (r < 0)
				return -1;
			continue;
		}
		r = outbound_claim(ctx, m);
		if (r <= 0) {
			free(file);
			if (r < 0)
				return -1;
			continue;
		}
		name = file_name(s, m);
		if (!taken_by_smsd(s, name) &&
		    write_outgoing(s, name, file, len, &why) < 0) {
			outbound_retry(ctx, m, why);
			free(why);
			free(name);
			free(file);
			return -1;
		}
		free(file);
		/* Not recorded: the row stays 'sending' and the next run
		   finds smsd has it (or writes the same name again). */
		r = sms_sent(ctx, m, name);
		free(name);
		if (r < 0)
			return -1;
		written++;
	}
	if (written > 0)
		log_info("smstools: wrote %d SMS for smsd", written);
	return 0;
}

/* One pass over the outbox: everything due, then back. */
static int
outbound_pass(struct gateway_ctx *ctx, struct spool *s)
{
	struct gateway_ctx once = *ctx;

	once.once = 1;
	return outbound_run(&once, send_batch, s);
}

/* --- files smsd writes ---------------------------------------------- */

struct header {
	const char *name, *value; /* NUL-terminated in the parse copy */
};

struct smsfile {
	char *copy;		   /* the header section, cut up */
	struct header h[SMSTOOLS_HEADERS_MAX];
	size_t nh;
	const char *body;	   /* into the file's bytes */
	size_t body_len;
};

static const char *
header(const struct smsfile *f, const char *name)
{
	for (size_t i = 0; i < f->nh; i++) {
		if (strcmp(f->h[i].name, name) == 0)
			return f->h[i].value;
	}
	return NULL;
}

static const char no_header_end[] = "no empty line after the header lines";

/* Splits BUF into header lines and the body after the first empty
   line. 0, or -1 with a static reason (no_header_end when the empty
   line is not there). */
static int
parse_file(const char *buf, size_t len, struct smsfile *f, const char **why_r)
{
	const char *end = NULL;
	char *line, *next;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
				       (buf[i + 1] == '\r' && i + 2 < len &&
					buf[i + 2] == '\n'))) {
			end = buf + i + 1;
			break;
		}
	}
	if (len > 0 && buf[0] == '\n')
		end = buf;
	if (end == NULL) {
		*why_r = no_header_end;
		return -1;
	}
	/* The lines are cut up as C strings below. */
	if (memchr(buf, '\0', (size_t)(end - buf)) != NULL) {
		*why_r = "a NUL byte in the header lines";
		return -1;
	}
	f->copy = xstrndup(buf, (size_t)(end - buf));
	f->body = end + (*end == '\r' ? 2 : 1);
	f->body_len = len - (size_t)(f->body - buf);
	for (line = f->copy; *line != '\0'; line = next) {
		char *colon, *v;

		next = strchr(line, '\n');
		*next++ = '\0';
		if (next - line >= 2 && next[-2] == '\r')
			next[-2] = '\0';
		colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			*why_r = "a header line without a name and a colon";
			return -1;
		}
		if (f->nh == SMSTOOLS_HEADERS_MAX) {
			*why_r = "too many header lines";
			return -1;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		/* and blanks after it ("From: 46701234567 " is that
		   number, not a name) */
		for (char *e = v + strlen(v); e > v && (e[-1] == ' ' ||
						       e[-1] == '\t'); e--)
			e[-1] = '\0';
		f->h[f->nh].name = line;
		f->h[f->nh++].value = v;
	}
	return 0;
}

/* ISO-8859-15 to UTF-8: Latin-1 but for eight code points. */
static char *
latin9_to_utf8(const char *s, size_t len, size_t *len_r)
{
	static const struct { unsigned char c; uint16_t cp; } diff[] = {
		{ 0xa4, 0x20ac }, { 0xa6, 0x0160 }, { 0xa8, 0x0161 },
		{ 0xb4, 0x017d }, { 0xb8, 0x017e }, { 0xbc, 0x0152 },
		{ 0xbd, 0x0153 }, { 0xbe, 0x0178 },
	};
	char *out = xmalloc(3 * len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned cp = (unsigned char)s[i];

		for (size_t k = 0; k < N_ELEMENTS(diff); k++) {
			if (diff[k].c == cp)
				cp = diff[k].cp;
		}
		if (cp < 0x80) {
			*o++ = (char)cp;
		} else if (cp < 0x800) {
			*o++ = (char)(0xc0 | (cp >> 6));
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*o++ = (char)(0xe0 | (cp >> 12));
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	return out;
}

/* Whether the LEN bytes at S are well-formed UTF-8 with a character
   beyond ASCII in it: text in ISO-8859-15 is that only by a freak (an
   "Ã" before a sign such as "¥", a letter pair no language writes). */
static bool
looks_utf8(const char *s, size_t len)
{
	bool wide = false;
	char *text;
	int bad;

	if (memchr(s, '\0', len) != NULL)
		return false;
	for (size_t i = 0; i < len && !wide; i++)
		wide = (unsigned char)s[i] >= 0x80;
	if (!wide)
		return false;
	text = xstrndup(s, len);
	bad = utf8_bad_line(text);
	free(text);
	return bad == 0;
}

/* The text of F in UTF-8 (caller frees), or NULL with a reason (caller
   frees). smsd names the body's character set in Alphabet: (it checks
   the first three letters itself, and so do we): ISO is ISO-8859-15,
   UTF-8 (incoming_utf8 = yes) is UTF-8, UCS2 is UTF-16 big endian (the
   default decode_unicode_text = no), GSM (cs_convert = no) is one
   septet a byte. Under ISO, or with no Alphabet at all (a file another
   tool wrote), smsd's incoming_utf8 = yes writes UTF-8 all the same:
   text that looks it (looks_utf8) is read as UTF-8. PART: F is a part
   of a concatenated message (see sms_decode). */
static char *
file_text(const struct smsfile *f, int part, size_t *len_r, char **why_r)
{
	const char *a = header(f, "Alphabet");
	struct gsm_msg msg = { 0 };
	char *text, *err = NULL;

	if (a == NULL || strncmp(a, "ISO", 3) == 0 ||
	    strncmp(a, "Lat", 3) == 0 || strncmp(a, "Ans", 3) == 0) {
		if (!looks_utf8(f->body, f->body_len))
			return latin9_to_utf8(f->body, f->body_len, len_r);
		*len_r = f->body_len;
		return xstrndup(f->body, f->body_len);
	}
	if (strncmp(a, "UTF", 3) == 0) {
		if (gsm_encode(f->body, f->body_len, GSM_AUTO, &msg, &err) < 0) {
			*why_r = xasprintf("Alphabet UTF-8, but %s", err);
			free(err);
			return NULL;
		}
		gsm_msg_clear(&msg);
		text = xstrndup(f->body, f->body_len);
		*len_r = f->body_len;
		return text;
	}
	if (strncmp(a, "UCS", 3) == 0 || strncmp(a, "Chi", 3) == 0 ||
	    strncmp(a, "Uni", 3) == 0) {
		if (f->body_len % 2 != 0) {
			*why_r = xstrdup("Alphabet UCS2, but the text has an "
					 "odd number of bytes");
			return NULL;
		}
		msg.enc = GSM_UCS2;
		msg.n = f->body_len / 2;
		msg.u = xcalloc(msg.n + 1, sizeof(uint16_t));
		gsm_ucs2_unpack((const uint8_t *)f->body, f->body_len, msg.u);
	} else if (strncmp(a, "GSM", 3) == 0) {
		msg.enc = GSM_GSM7;
		msg.n = f->body_len;
		msg.u = xcalloc(msg.n + 1, sizeof(uint16_t));
		for (size_t i = 0; i < msg.n; i++)
			msg.u[i] = (unsigned char)f->body[i];
	} else {
		*why_r = xasprintf("Alphabet %.20s is not text", a);
		return NULL;
	}
	text = sms_decode(&msg, part, len_r);
	gsm_msg_clear(&msg);
	return text;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The concatenation element of a UDH-DATA hex dump ("05 00 03 5F 02
   01": the header length, then elements). smsd shows it when it does
   not put the parts together itself (internal_combine = no), and on
   the single part of a message it gave up waiting for (Incomplete:).
   1 with *C_R, 0 when there is none, -1 for a malformed dump. */
static int
udh_concat(const char *dump, struct gsm_concat *c_r)
{
	uint8_t udh[GSM_UD_MAX];
	size_t n = 0, i;

	for (const char *p = dump; *p != '\0';) {
		int hi, lo;

		if (*p == ' ') {
			p++;
			continue;
		}
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (lo < 0 || n == sizeof(udh))
			return -1;
		udh[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (n == 0)
		return 0;
	if ((size_t)udh[0] + 1 != n)
		return -1;
	for (i = 1; i + 1 < n; i += 2 + (size_t)udh[i + 1]) {
		const uint8_t *ie = &udh[i + 2];
		size_t ielen = udh[i + 1];

		if (i + 2 + ielen > n)
			return -1;
		if (udh[i] == 0x00 && ielen == 3) {
			*c_r = (struct gsm_concat){ ie[0], ie[1], ie[2] };
			return 1;
		}
		if (udh[i] == 0x08 && ielen == 4) {
			*c_r = (struct gsm_concat){ (unsigned)ie[0] << 8 | ie[1],
						    ie[2], ie[3] };
			return 1;
		}
	}
	return 0;
}

/* A stable id of the file's content: the same file read again after
   a crash is the same message. */
static void
content_id(const char *buf, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("smstools: SHA-256 failed");
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The id of the SMS in F for the engine, which drops a second
   delivery of the same id for ever: its sender, the time the network
   gives it (Sent, the SMSC's time stamp), its concatenation header and
   its text. The network delivering the SMS again, which smsd writes as
   a file of its own (another Received time, maybe another modem), is
   then one message, while a citizen who sends "Ja" twice sends two.
   Without a Sent header there is none (0): the engine then takes the
   same text from the same number within minutes as one, unless a
   handler answered in between. The file's own id was no id of the SMS:
   a second "Ja" in a file of the same bytes (no Received either, as
   another tool writes them) was dropped, however long after. */
static int
sms_id(const struct smsfile *f, char out[33])
{
	const char *sent = header(f, "Sent"), *udh = header(f, "UDH-DATA");
	const char *from = header(f, "From");
	char *what;
	size_t n;

	if (sent == NULL || *sent == '\0')
		return 0;
	what = xasprintf("%s\n%s\n%s\n", from != NULL ? from : "", sent,
			 udh != NULL ? udh : "");
	n = strlen(what);
	what = xrealloc(what, n + f->body_len);
	memcpy(what + n, f->body, f->body_len);
	content_id(what, n + f->body_len, out);
	free(what);
	return 1;
}

/* Reads PATH (a regular file, not a link): the bytes (caller frees),
   or NULL when it is gone or not a file (said once: gateway_left_alone).
   *OVER_R tells a file larger than SMSTOOLS_FILE_MAX, of which only
   the first part is read. */
static char *
read_spool_file(const char *path, size_t *len_r, int64_t *mtime_r,
		int *over_r)
{
	struct stat st;
	char *buf;
	/* O_NONBLOCK: a named pipe put there must not hang the gateway
	   in open() until someone writes to it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd < 0 && errno == ELOOP)
			gateway_left_alone("smstools", path,
					   "a symbolic link, never followed");
		else if (fd < 0 && errno != ENOENT)
			gateway_left_alone("smstools", path,
					   strerror(errno));
		else if (fd >= 0)
			gateway_left_alone("smstools", path,
					   "not a regular file");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	*over_r = st.st_size > SMSTOOLS_FILE_MAX;
	buf = read_upto(fd, *over_r ? SMSTOOLS_FILE_MAX : (size_t)st.st_size,
			len_r);
	close(fd);
	*mtime_r = (int64_t)st.st_mtime;
	return buf;
}

/* The type of number of From_TOA ("A1 national, ISDN/telephone": the
   type of address octet in hex first), or -1 when it has none. */
static int
toa_ton(const char *toa)
{
	int hi = toa != NULL ? hexval(toa[0]) : -1;

	if (hi < 0 || hexval(toa[1]) < 0)
		return -1;
	return hi & 7;
}

/* The sender as cirm wants it: smsd writes an international number
   without its '+' (From_TOA "91 international"), and a national one
   (From_TOA "A1 national") as the network gives it, without the trunk
   prefix, which it gets back ("0701234567"), as the engine reads
   national numbers; one of unknown type (From_TOA "81 unknown") as
   sms_unknown_type_sender reads it; anything else (a national number
   that begins with 0, a name) is kept as it came. */
static char *
sender(const struct smsfile *f, const char *country_code)
{
	const char *from = header(f, "From"), *toa = header(f, "From_TOA");
	size_t n = strspn(from, "0123456789");

	if (from[n] == '\0' && n >= 1 && from[0] != '0' && toa_ton(toa) == 2)
		return xasprintf("0%s", from);
	if (from[n] == '\0' && n >= 1 && from[0] != '0' && toa_ton(toa) == 0)
		return sms_unknown_type_sender(from, country_code);
	if (from[n] == '\0' && n >= 7 && n <= 15 && from[0] != '0' &&
	    (toa == NULL || strstr(toa, "international") != NULL ||
	     strncmp(toa, "91", 2) == 0))
		return xasprintf("+%s", from);
	return xstrdup(from);
}

/* 1 when F has less text than its Length header says. smsd writes
   the header lines, the empty line and then the text, through stdio,
   into the file it has made: read in between, the text is cut short.
   Length counts UTF-16 units for UCS2; otherwise octets or characters
   (with incoming_utf8, those of the text before it became UTF-8),
   never more than the octets of the whole text. */
static int
text_cut_short(const struct smsfile *f)
{
	const char *l = header(f, "Length"), *a = header(f, "Alphabet");
	size_t have = f->body_len;
	unsigned long want;
	char *end;

	if (l == NULL || *l < '0' || *l > '9')
		return 0;
	errno = 0;
	want = strtoul(l, &end, 10);
	if (*end != '\0' || errno != 0)
		return 0;
	if (a != NULL && (strncmp(a, "UCS", 3) == 0 || strncmp(a, "Chi", 3) == 0))
		have /= 2;
	return have < want;
}

/* What one incoming file is: HELD is an SMS smsd said it could not
   decode (an Error line) whose sender and text could be read all the
   same, which goes to the quarantine as the envelope it would have
   been (held_envelope). */
enum verdict { TAKE, REPORT, BAD, HELD };

/* REASON (taken) as *WHY_R, unless that has one already. */
static void
set_why(char **why_r, char *reason)
{
	if (*why_r == NULL)
		*why_r = reason;
	else
		free(reason);
}

/* Decides about F: TAKE with IN filled (its text in *TEXT_R, caller
   frees), REPORT for a status report, BAD with a reason (caller
   frees), HELD with IN filled and a reason. */
static enum verdict
judge(const struct smsfile *f, struct sms_in *in, struct gsm_concat *c,
      char **text_r, char **why_r)
{
	const char *err = header(f, "Error"), *udh = header(f, "UDH-DATA");
	const char *from = header(f, "From");
	char *why = NULL;
	size_t len;
	int r;

	if (err != NULL) {
		/* smsd's words may quote the number or the text: the reason
		   is logged */
		char *clean = scrub_personal(err);

		*why_r = xasprintf("smsd could not decode it: %.200s", clean);
		free(clean);
	}
	if (from == NULL || *from == '\0') {
		set_why(why_r, xstrdup("no From header"));
		return BAD;
	}
	/* smsd puts status reports in incoming/ unless smsd.conf names a
	   report directory; cirm does not ask for them. */
	if (err == NULL && f->body_len >= 17 &&
	    memcmp(f->body, "SMS STATUS REPORT", 17) == 0)
		return REPORT;
	if (udh != NULL && (r = udh_concat(udh, c)) != 0) {
		if (r < 0) {
			set_why(why_r, xstrdup("a malformed UDH-DATA header"));
			return BAD;
		}
		in->concat = c;
	}
	/* a held part is released alone: its text whole, not in the
	   form sms_deliver joins with its neighbours */
	*text_r = file_text(f, err == NULL && in->concat != NULL &&
			    c->total > 1, &len, &why);
	if (*text_r == NULL) {
		set_why(why_r, why);
		return BAD;
	}
	/* a file with CRLF line ends (written on or for Windows): the
	   text's line breaks as a phone has them, not CR and LF */
	{
		char *o = *text_r;

		for (size_t i = 0; i < len; i++)
			if ((*text_r)[i] != '\r' || i + 1 >= len ||
			    (*text_r)[i + 1] != '\n')
				*o++ = (*text_r)[i];
		len = (size_t)(o - *text_r);
		*o = '\0';
	}
	in->text = *text_r;
	in->len = len;
	in->to = header(f, "Number");
	return err != NULL ? HELD : TAKE;
}

/* The quarantine's copy of F, a HELD file read as IN (caller frees):
   the envelope the engine reads, so that a release handles it as this
   gateway handles a file (the sender as sender() makes it, the text
   decoded from its Alphabet), never as smsd's own format, which the
   engine cannot read; a part alone says so (Parts: 1/N). After the
   envelope's lines, each of the file's header lines as "Smsd-NAME:
   value" (which the engine passes over), for a human to see what smsd
   wrote. */
static char *
held_envelope(const struct smsfile *f, const struct sms_in *in,
	      size_t *len_r)
{
	unsigned total = in->concat != NULL && in->concat->total > 1 ?
		in->concat->total : 1;
	size_t elen, hlen;
	char *env = sms_envelope(in, 1, total, &elen), *out = NULL;
	const char *blank = strstr(env, "\n\n");
	FILE *o = open_memstream(&out, len_r);

	if (o == NULL || blank == NULL)
		fatalx("smstools: cannot make an envelope");
	hlen = (size_t)(blank - env) + 1;
	fwrite(env, 1, hlen, o);
	for (size_t i = 0; i < f->nh; i++)
		fprintf(o, "Smsd-%s: %s\n", f->h[i].name, f->h[i].value);
	fwrite(env + hlen, 1, elen - hlen, o);
	if (fclose(o) != 0)
		fatalx("out of memory");
	free(env);
	return out;
}

/* Files of incoming/ taken (queued, quarantined), or of sent/ and
   failed/ recorded, that could not be removed (a spool directory not
   writable by cirm's user, say), each as
   "NAME/INODE/MTIME": at each look only the removal is tried again.
   Taken again instead, each went into the inbox anew at every look,
   with a warning each time. The inode and time tell a new file smsd
   made under a name used before, which is taken. */
static struct strlist kept;

static char *
kept_key(const char *path, const char *name)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return NULL;
	return xasprintf("%s/%ju/%lld", name, (uintmax_t)st.st_ino,
			 (long long)st.st_mtime);
}

/* 1 when file NAME (at PATH) is a kept one, after trying again to
   remove it. */
static int
kept_retry(const char *path, const char *name)
{
	char *key;
	int r = 0;

	if (kept.n == 0 || (key = kept_key(path, name)) == NULL)
		return 0;
	for (size_t i = 0; i < kept.n; i++) {
		if (strcmp(kept.v[i], key) != 0)
			continue;
		r = 1;
		if (unlink(path) < 0 && errno != ENOENT)
			break;
		log_info("smstools: %s: removed at last", name);
		free(kept.v[i]);
		kept.v[i] = kept.v[--kept.n];
		break;
	}
	free(key);
	return r;
}

/* Remembers file NAME (at PATH), which could not be removed. */
static void
kept_add(const char *path, const char *name)
{
	char *key = kept_key(path, name);

	if (key != NULL)
		strlist_add(&kept, key);
	free(key);
}

/* Queues one file of incoming/, or quarantines it; removes it only
   once that is committed. 1 taken, 0 not a file, -1 when the store
   failed (the file stays for the next round). */
static int
take_file(struct gateway_ctx *ctx, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *buf, *text = NULL;
	char *why = NULL, *err = NULL, *from = NULL, *key;
	const char *reason = NULL;
	struct smsfile f;
	struct sms_in in = { 0 };
	struct gsm_concat c;
	char id[33], message_id[33];
	size_t len;
	int64_t mtime;
	int over, parsed = 0, cut, r;
	enum verdict v = BAD;

	if (kept_retry(path, name)) {
		free(path);
		return 0;
	}
	buf = read_spool_file(path, &len, &mtime, &over);
	if (buf == NULL) {
		free(path);
		return 0;
	}
	if (over)
		reason = "larger than " STR(SMSTOOLS_FILE_MAX) " bytes (the start kept)";
	else
		parsed = parse_file(buf, len, &f, &reason) == 0;
	/* smsd creates the file, then writes it in place: empty, or cut
	   short in its header lines or in its text, it may be one still
	   being written. */
	cut = parsed ? text_cut_short(&f) : !over && reason == no_header_end;
	if (cut && cirm_now() - mtime < SMSTOOLS_SETTLE) {
		log_debug("smstools: %s: not complete yet; left for later",
			  name);
		free(f.copy);
		free(buf);
		free(path);
		return 0;
	}
	if (parsed) {
		if (cut)
			log_warnx("smstools: %s: less text than its Length "
				  "header says, unchanged for %d s; taken as it is",
				  name, SMSTOOLS_SETTLE);
		v = judge(&f, &in, &c, &text, &why);
		reason = why;
	}
	content_id(buf, len, id);
	key = xasprintf("sms:%s:%s", ctx->name, id);
	if (v == TAKE) {
		in.from = from = sender(&f, cfg_str(ctx->cfg,
						     CFG_SMS_COUNTRY_CODE));
		if (sms_id(&f, message_id))
			in.id = message_id;
		/* the same file read again (removed after a crash too
		   late) is queued once */
		in.key = id;
		in.received_at = mtime;
		r = sms_deliver(ctx, &in, &err);
	} else if (v == REPORT) {
		log_info("smstools: %s: a status report, not asked for; removed",
			 name);
		r = 1;
	} else if (v == HELD) {
		char *env;
		size_t elen;

		in.from = from = sender(&f, cfg_str(ctx->cfg,
						     CFG_SMS_COUNTRY_CODE));
		if (sms_id(&f, message_id))
			in.id = message_id;
		env = held_envelope(&f, &in, &elen);
		log_warnx("smstools: %s: quarantined: %s", name, reason);
		r = sms_quarantine(ctx, env, elen, mtime, key, reason, &err);
		free(env);
	} else {
		log_warnx("smstools: %s: quarantined: %s", name, reason);
		r = sms_quarantine(ctx, buf, len, mtime, key, reason, &err);
	}
	if (r < 0) {
		log_warnx("smstools: %s: not queued: %s", name, err);
		free(err);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		log_warnx("smstools: %s: queued but not removed: %s; the "
			  "removal is tried again at each look", name,
			  strerror(errno));
		kept_add(path, name);
	}
	if (!over)
		free(f.copy);
	free(from);
	free(why);
	free(text);
	free(key);
	free(buf);
	free(path);
	return r < 0 ? -1 : 1;
}

static int
visible(const struct dirent *d)
{
	/* smsd writes a file whole under a name of its own */
	return smsd_incoming_name(d->d_name);
}

/* Takes what incoming/ holds, oldest name first. The number taken, or
   -1 when the store failed. */
static int
scan_incoming(struct gateway_ctx *ctx, const struct spool *s)
{
	/* said once, not at every look (cirmctl status keeps saying it) */
	static bool unreadable;
	struct dirent **names = NULL;
	int n = scandir(s->in, &names, visible, alphasort), done = 0, failed = 0;

	if (n < 0) {
		int e = errno;

		if (!unreadable)
			log_warnx("smstools: cannot read %s: %s; no SMS is "
				  "taken until it is back", s->in,
				  strerror(e));
		gateway_problem(ctx, "cannot read %s: %s; no SMS is taken",
				s->in, strerror(e));
	} else {
		if (unreadable)
			log_info("smstools: %s can be read again", s->in);
		gateway_problem_clear(ctx);
	}
	unreadable = n < 0;
	for (int i = 0; i < n; i++) {
		if (!failed && done < SMSTOOLS_BATCH && !gateway_stopping()) {
			int r = take_file(ctx, s->in, names[i]->d_name);

			if (r < 0)
				failed = 1;
			else
				done += r;
		}
		free(names[i]);
	}
	free(names);
	if (done > 0)
		log_info("smstools: took %d incoming file%s", done,
			 done == 1 ? "" : "s");
	return failed ? -1 : done;
}

/* --- what became of the files we wrote ---------------------------------- */

/* Records the outcome of our file NAME in sent/ or failed/ and removes
   the file. smstools3 says only whether the modem handed the message
   to the network, not whether the phone got it: a sent file is
   ACCEPTD (nothing final), a failed one UNDELIV, recorded as smsd
   put it ("smsd: " and its Fail_reason). 1 recorded, 0 gone, -1 when the store failed. */
static int
take_outcome(struct gateway_ctx *ctx, const char *dir, const char *name,
	     int failed)
{
	char *path = xasprintf("%s/%s", dir, name), *buf, *err = NULL;
	char *reason = NULL, *said;
	struct smsfile f;
	size_t len;
	int64_t mtime;
	int over, r;

	if (kept_retry(path, name)) {
		free(path);
		return 0;
	}
	buf = read_spool_file(path, &len, &mtime, &over);
	if (buf == NULL) {
		free(path);
		return 0;
	}
	if (failed) {
		const char *why = NULL, *unused;

		if (!over && parse_file(buf, len, &f, &unused) == 0) {
			why = header(&f, "Fail_reason");
			reason = xstrdup(why != NULL && *why != '\0' ? why :
					 "smsd gave no reason");
			free(f.copy);
		} else {
			if (!over)
				free(f.copy);
			reason = xstrdup("smsd gave no reason");
		}
	}
	said = failed ? xasprintf("smsd: %s", reason) : NULL;
	r = sms_receipt(ctx, name, failed ? "UNDELIV" : "ACCEPTD", reason,
			said, &err);
	free(said);
	if (r < 0) {
		log_warnx("smstools: %s: outcome not recorded: %s", name, err);
		free(err);
	} else {
		if (r == 0)
			log_warnx("smstools: %s/%s matches no sent SMS; removed",
				  failed ? "failed" : "sent", name);
		else if (failed)
			log_warnx("smstools: %s: smsd could not send it", name);
		if (unlink(path) < 0 && errno != ENOENT) {
			log_warnx("smstools: %s: recorded but not removed: %s; "
				  "the removal is tried again at each look",
				  name, strerror(errno));
			kept_add(path, name);
		}
	}
	free(reason);
	free(buf);
	free(path);
	return r < 0 ? -1 : 1;
}

static int
ours(const struct dirent *d)
{
	return strncmp(d->d_name, SMSTOOLS_PREFIX, strlen(SMSTOOLS_PREFIX)) == 0
		&& visible(d);
}

/* Reads sent/ and failed/ for the files we wrote; others' files there
   are left alone. -1 when the store failed. */
static int
scan_outcomes(struct gateway_ctx *ctx, const struct spool *s)
{
	const char *dirs[] = { s->sent, s->failed };
	int ret = 0;

	for (size_t d = 0; d < N_ELEMENTS(dirs) && ret == 0; d++) {
		struct dirent **names = NULL;
		int n = scandir(dirs[d], &names, ours, alphasort);

		for (int i = 0; i < n; i++) {
			if (ret == 0 && !gateway_stopping() &&
			    take_outcome(ctx, dirs[d], names[i]->d_name, d == 1) < 0)
				ret = -1;
			free(names[i]);
		}
		free(names);
	}
	return ret;
}

/* --- the loop ------------------------------------------------------------ */

static int
flush_parts(struct gateway_ctx *ctx)
{
	char *err = NULL;

	if (sms_flush_parts(ctx, cirm_now(),
			    cfg_int(ctx->cfg, CFG_SMS_PARTS_TIMEOUT), &err) < 0) {
		log_warnx("smstools: cannot flush waiting parts: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
run(struct gateway_ctx *ctx)
{
	struct spool s = { 0 };
	int poll = (int)cfg_int(ctx->cfg, CFG_SMS_POLL_INTERVAL), ret = 0;
	int64_t flushed = 0;

	if (spool_open(cfg_str(ctx->cfg, CFG_SMS_SPOOL_DIR), &s) < 0) {
		spool_clear(&s);
		return -1;
	}
	log_info("smstools: using the smsd spool in %s",
		 cfg_str(ctx->cfg, CFG_SMS_SPOOL_DIR));
	while (!gateway_stopping()) {
		int n = scan_incoming(ctx, &s), bad = n < 0;

		if (cirm_now() - flushed >= SMSTOOLS_FLUSH_EVERY) {
			if (flush_parts(ctx) < 0)
				bad = 1;
			else
				flushed = cirm_now();
		}
		/* The outbox first: a row a crash left 'sending' whose file
		   smsd has sent already is marked sent (by that file in
		   sent/) before sent/ is read; read first, the file would
		   match no row, be removed, and the row be written again. */
		if (outbound_pass(ctx, &s) < 0)
			bad = 1;
		else if (scan_outcomes(ctx, &s) < 0)
			bad = 1;
		ret = bad ? -1 : 0;
		if (ctx->once && (bad || n < SMSTOOLS_BATCH))
			break;
		if (n < SMSTOOLS_BATCH)
			gateway_sleep(poll);
	}
	spool_clear(&s);
	return ret;
}

const struct cirm_gateway gateway_smstools = {
	.name = "smstools",
	.channel = "sms",
	.enabled = enabled,
	.run = run,
};
