/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-mail: the tools behind "make bench" (bench/run.sh).

     bench-mail gen DB N              queue N generated mails in DB's inbox
     bench-mail mailgate-input DIR N  write the same kind of mails as files
     bench-mail rusage CMD [ARG...]   run CMD; print its time and peak RSS
     bench-mail each DIR CMD [ARG...] run CMD once per file of DIR, the file
                                      on stdin, one after the other
     bench-mail count DB              what the engine made of the inbox
     bench-mail drip SRC DST RATE LOG move the files of SRC into DST at RATE
                                      a second, logging each Message-ID
                                      and the moment it arrived
     bench-mail latency LOG DIR [SKIP] for each mail in DIR/NAME/new (but
                                      NAME SKIP) answering a logged one
                                      (In-Reply-To), the time from its
                                      arrival to the answer's file:
                                      p50/p99/max in milliseconds

   The mails are realistic for a Swedish municipality and deterministic (a
   fixed seed). Three in four are new mails, from N/4 distinct senders (about
   three cases each, far below the flood limit of 20 new cases an hour):
   28% text/plain (UTF-8, 8bit or quoted-printable), 15%
   multipart/alternative (text and HTML), 7% HTML only, 15%
   multipart/mixed with one or two base64 attachments of 1.5 to 7 KB
   (mostly distinct; one in eight the same file, so the content-addressed
   spool both stores and finds files), 10% ISO-8859-1 quoted-printable
   (headers in RFC 2047 ISO-8859-1). One in four is a reply, quoting, to an
   earlier new mail of the same citizen, tied by In-Reply-To and
   References (a third by References only). Subjects, names and text carry
   åäö; each mail has the trace fields, DKIM and ARC signatures and spam
   verdicts real mail carries, so sizes run from about 1.7 to 20 KB (7 KB
   on average, 1.7 KB of it text). Generation runs in large transactions,
   before and apart from what is measured. */
#include "config.h"

#include "blob.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEED 0x63697266626e6368ULL /* "cirmbnch" */
#define GEN_TXN_ROWS 2000
#define KB 1024

/* --- a deterministic generator (splitmix64) --- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

#define PICK(a) ((a)[below(N_ELEMENTS(a))])

/* --- a growable buffer --- */

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void CIRM_PRINTF(2, 3)
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(b, s);
	free(s);
}

/* --- the words --- */

static const char *const first_names[] = {
	"Anna", "Åsa", "Björn", "Märta", "Sören", "Göran", "Eva", "Lars",
	"Karin", "Per", "Ingrid", "Jöns", "Maja", "Håkan", "Linnéa", "Oskar",
	"Birgitta", "Mats", "Ebba", "Ali", "Fatima", "Mohammed", "Sara", "Jan",
	"Åke", "Örjan", "Kerstin", "Ylva",
};
static const char *const last_names[] = {
	"Andersson", "Öberg", "Ångström", "Lindqvist", "Nyström", "Bäckström",
	"Karlsson", "Sjögren", "Åkesson", "Hägglund", "Persson", "Björklund",
	"Lövgren", "Ek", "Söderberg", "Jönsson", "Hussein", "Nilsson",
};
static const char *const domains[] = {
	"gmail.com", "telia.com", "hotmail.se", "outlook.com", "bredband.net",
	"icloud.com", "yahoo.se", "comhem.se", "live.se", "spray.se",
};
static const char *const streets[] = {
	"Storgatan", "Kyrkogatan", "Åsvägen", "Strandvägen", "Lärkstigen",
	"Björkvägen", "Ängsgatan", "Östra Långgatan", "Södra vägen",
};
static const char *const towns[] = {
	"Växjö", "Örebro", "Umeå", "Gävle", "Borås", "Jönköping", "Skövde",
	"Östersund", "Sundsvall",
};
static const char *const subjects[] = {
	"Fråga om bygglov för altan",
	"Klagomål på snöröjningen på vår gata",
	"Ansökan om förskoleplats till hösten",
	"Trasig gatubelysning vid Björkvägen",
	"Buller från byggarbetsplatsen på nätterna",
	"Felaktig faktura för vatten och avlopp",
	"Synpunkter på detaljplanen för Östra hamnen",
	"Hemtjänst för min mamma",
	"Parkeringstillstånd för rörelsehindrad",
	"Nedskräpning i Lövparken",
	"Skolskjuts till Ängsskolan",
	"Begäran om allmän handling",
	"Överklagande av beslut om försörjningsstöd",
	"Potthål på vägen mellan Åby och Näsby",
	"Översvämning i källaren efter skyfallet",
	"Återvinningsstationen är överfull",
	"Hund som skäller hela nätterna",
	"Anmälan till kulturskolan",
	"Badhuset stängt utan information",
	"Önskemål om farthinder vid förskolan Solrosen",
	"Träd som behöver beskäras längs cykelbanan",
	"Fråga om avgift för sophämtning",
	"Felanmälan: lekplatsens gungor är trasiga",
	"Klagomål på maten i skolmatsalen",
};
static const char *const sentences[] = {
	"Jag skriver till er angående snöröjningen på vår gata, som inte har "
	"plogats på över en vecka.",
	"Det är mycket halt på trottoarerna och äldre personer i området vågar "
	"inte gå ut.",
	"Vi har tidigare kontaktat kommunen i samma ärende men inte fått något "
	"svar.",
	"Kan ni berätta när arbetet är planerat att påbörjas?",
	"Jag undrar också om det går att få en kopia av beslutet skickad till "
	"mig per post.",
	"Bifogar en bild som visar hur det ser ut just nu vid busshållplatsen.",
	"Gatubelysningen vid Björkvägen 12 har varit släckt sedan förra "
	"månaden.",
	"Mitt barn har fått plats på Ängsskolan men skolskjutsen fungerar inte "
	"som den ska.",
	"Vi önskar få information om vilka regler som gäller för bygglov för "
	"ett attefallshus.",
	"Fakturan för vatten och avlopp verkar felaktig, förbrukningen är tre "
	"gånger högre än förra året.",
	"Grannens hund skäller hela nätterna och vi får ingen sömn.",
	"Det ligger skräp och krossat glas i lekparken vid Lövängen.",
	"Min mamma är 87 år och behöver hjälp med hemtjänst efter sin "
	"höftoperation.",
	"Jag vill begära ut handlingarna i ärendet om detaljplanen för Östra "
	"hamnen enligt offentlighetsprincipen.",
	"Tack för snabbt svar förra gången, det uppskattades verkligen.",
	"Bussen på linje 4 går inte längre förbi äldreboendet, vilket är ett "
	"stort problem för de boende.",
	"Återvinningsstationen på Köpmangatan är överfull och det luktar illa.",
	"Vägen mellan Åby och Näsby har stora potthål som skadar bilarna.",
	"Är det möjligt att få ett parkeringstillstånd för rörelsehindrad?",
	"Jag har försökt ringa kontaktcenter flera gånger men det är alltid "
	"upptaget.",
	"Bygget på tomten bredvid startar klockan sex på morgonen, även på "
	"lördagar.",
	"Vi föreslår att kommunen sätter upp ett farthinder utanför förskolan "
	"Solrosen.",
	"Träden längs ån har inte beskurits och grenarna hänger ner över "
	"cykelbanan.",
	"När kommer beslutet om försörjningsstöd att fattas?",
	"Jag flyttade till kommunen i höstas och undrar hur jag anmäler mig "
	"till kulturskolan.",
	"Badhuset har haft stängt i tre veckor utan någon information på "
	"hemsidan.",
	"Det blev översvämning i källaren efter att dagvattenbrunnen på gatan "
	"svämmade över.",
	"Jag vill överklaga beslutet och undrar vilken tidsfrist som gäller.",
	"Är det någon handläggare som kan ringa upp mig under eftermiddagen?",
	"Våra barn går förbi korsningen varje dag och bilarna kör alldeles för "
	"fort där.",
	"Enligt grannarna har samma fel uppstått flera gånger tidigare i år.",
	"Jag bifogar mina kontaktuppgifter nedan och nås enklast efter klockan "
	"16.",
};
static const char *const reply_openers[] = {
	"Jag vill komplettera mitt tidigare meddelande.",
	"Här kommer de uppgifter ni bad om.",
	"Problemet kvarstår fortfarande, tyvärr.",
	"Tack för ert svar! Jag har några följdfrågor.",
	"Nu har det blivit ännu värre än förra veckan.",
	"Jag glömde att nämna en sak i mitt förra mejl.",
};
static const char *const greetings[] = { "Hej!", "Hej,", "Hejsan!",
					 "Till kommunen,", "God dag," };
static const char *const closings[] = { "Med vänlig hälsning",
					"Vänliga hälsningar", "Mvh",
					"Hälsningar", "Tack på förhand!" };
static const char *const reply_prefixes[] = { "Sv: ", "SV: ", "Re: ",
					      "Sv: Sv: " };
static const char *const mailers[] = {
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) "
	"Gecko/20100101 Thunderbird/115.8.0",
	"X-Mailer: iPhone Mail (21D61)",
	"X-Mailer: Microsoft Outlook 16.0",
	"User-Agent: Roundcube Webmail/1.6.5",
	NULL, NULL,
};

struct attachment_kind {
	const char *type, *name, *magic;
};
static const struct attachment_kind attachment_kinds[] = {
	{ "application/pdf", "faktura_2026-02.pdf", "%PDF-1.4\n" },
	{ "image/jpeg", "bild_på_skadan.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF" },
	{ "image/png", "karta.png", "\x89PNG\r\n\x1a\n" },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml."
	  "document", "ansökan.docx", "PK\x03\x04" },
	{ "application/pdf", "läkarintyg.pdf", "%PDF-1.7\n" },
};

/* --- encodings --- */

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return 0;
	}
	return 1;
}

/* UTF-8 to ISO-8859-1; everything the generator writes fits. */
static char *
to_latin1(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		if (*p < 0x80) {
			*o++ = (char)*p++;
		} else if ((*p & 0xe0) == 0xc0 && p[1] != '\0') {
			unsigned cp = ((unsigned)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);

			*o++ = cp <= 0xff ? (char)cp : '?';
			p += 2;
		} else {
			*o++ = '?';
			p++;
			while ((*p & 0xc0) == 0x80)
				p++;
		}
	}
	*o = '\0';
	return out;
}

/* Strips the accents for the local part of an address. */
static void
ascii_lower(struct buf *b, const char *s)
{
	char *l = to_latin1(s);

	for (const unsigned char *p = (const unsigned char *)l; *p; p++) {
		unsigned c = *p;

		if (c == 0xe5 || c == 0xe4 || c == 0xc5 || c == 0xc4)
			c = 'a';
		else if (c == 0xf6 || c == 0xd6)
			c = 'o';
		else if (c == 0xe9 || c == 0xc9)
			c = 'e';
		else if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		else if (c == ' ')
			c = '.';
		if (c < 0x80) {
			char ch = (char)c;

			buf_add(b, &ch, 1);
		}
	}
	free(l);
}

static const char hexdig[] = "0123456789ABCDEF";

/* Quoted-printable (RFC 2045) with LF line ends. */
static void
qp_encode(struct buf *b, const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char enc[4];
		size_t elen;

		if (c == '\n') {
			buf_add(b, "\n", 1);
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < n && s[i + 1] != '\n')) {
			enc[0] = (char)c;
			elen = 1;
		} else {
			enc[0] = '=';
			enc[1] = hexdig[c >> 4];
			enc[2] = hexdig[c & 15];
			elen = 3;
		}
		if (col + elen > 75) {
			buf_add(b, "=\n", 2);
			col = 0;
		}
		buf_add(b, enc, elen);
		col += elen;
	}
	if (col > 0)
		buf_add(b, "\n", 1);
}

static void
b64_encode(struct buf *b, const unsigned char *d, size_t n)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		q[0] = t[(v >> 18) & 63];
		q[1] = t[(v >> 12) & 63];
		q[2] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? t[v & 63] : '=';
		buf_add(b, q, 4);
		col += 4;
		if (col == 76) {
			buf_add(b, "\n", 1);
			col = 0;
		}
	}
	if (col > 0)
		buf_add(b, "\n", 1);
}

/* An RFC 2047 encoded-word ("Q" or "B") of UTF-8 text S, or S itself
   when it is ASCII; LATIN1 writes it in ISO-8859-1. Long text is split
   into several words on character boundaries, folded. */
static void
header_text(struct buf *b, const char *s, int latin1, int base64)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *charset = latin1 ? "ISO-8859-1" : "UTF-8";
	char *conv = latin1 ? to_latin1(s) : xstrdup(s);
	size_t n = strlen(conv), i = 0;
	int words = 0;

	if (is_ascii(s)) {
		buf_puts(b, s);
		free(conv);
		return;
	}
	while (i < n) {
		/* Words under 75 characters, never splitting a UTF-8
		   character. */
		size_t chunk = base64 ? 30 : 18, end = i + chunk < n ? i + chunk : n;

		while (!latin1 && end < n && ((unsigned char)conv[end] & 0xc0) == 0x80)
			end--;
		if (words++ > 0)
			buf_puts(b, "\n ");
		buf_printf(b, "=?%s?%c?", charset, base64 ? 'B' : 'Q');
		if (base64) {
			for (size_t j = i; j < end; j += 3) {
				uint32_t v = (uint32_t)(unsigned char)conv[j] << 16;
				char q[4];

				if (j + 1 < end)
					v |= (uint32_t)(unsigned char)conv[j + 1] << 8;
				if (j + 2 < end)
					v |= (unsigned char)conv[j + 2];
				q[0] = t[(v >> 18) & 63];
				q[1] = t[(v >> 12) & 63];
				q[2] = j + 1 < end ? t[(v >> 6) & 63] : '=';
				q[3] = j + 2 < end ? t[v & 63] : '=';
				buf_add(b, q, 4);
			}
		} else {
			for (size_t j = i; j < end; j++) {
				unsigned char c = (unsigned char)conv[j];

				if (c == ' ')
					buf_add(b, "_", 1);
				else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					 (c >= '0' && c <= '9') || c == '.' || c == '-')
					buf_add(b, &conv[j], 1);
				else
					buf_printf(b, "=%c%c", hexdig[c >> 4], hexdig[c & 15]);
			}
		}
		buf_puts(b, "?=");
		i = end;
	}
	free(conv);
}

/* --- the mails --- */

enum kind { K_PLAIN, K_ALTERNATIVE, K_HTML, K_ATTACH, K_LATIN1, K_REPLY,
	    K_COUNT };

struct sent {
	char *message_id;
	unsigned sender;
	char *subject;
};

struct gen {
	unsigned nsenders;
	struct sent *sent; /* new mails so far, for replies */
	size_t nsent;
	unsigned char shared[3000]; /* one attachment many people send */
	long count[K_COUNT];
	long bytes, text_bytes, min_size, max_size;
	int64_t clock; /* the Date of the next mail */
};

static void
gen_init(struct gen *g, long n)
{
	memset(g, 0, sizeof(*g));
	rng_state = SEED;
	g->nsenders = n / 4 > 0 ? (unsigned)(n / 4) : 1;
	g->sent = xcalloc((size_t)n, sizeof(*g->sent));
	for (size_t i = 0; i < sizeof(g->shared); i++)
		g->shared[i] = (unsigned char)(i * 31 + (i >> 7));
	memcpy(g->shared, "\x89PNG\r\n\x1a\n", 8);
	g->min_size = 1L << 30;
	g->clock = 1772434800; /* 2026-03-02 08:00 +0100 */
}

static void
gen_free(struct gen *g)
{
	for (size_t i = 0; i < g->nsent; i++) {
		free(g->sent[i].message_id);
		free(g->sent[i].subject);
	}
	free(g->sent);
}

static void
sender_name(unsigned s, struct buf *b)
{
	buf_printf(b, "%s %s", first_names[s % N_ELEMENTS(first_names)],
		   last_names[(s / N_ELEMENTS(first_names)) %
			      N_ELEMENTS(last_names)]);
}

static void
sender_address(unsigned s, struct buf *b)
{
	struct buf name = { 0 };

	sender_name(s, &name);
	ascii_lower(b, name.p);
	buf_printf(b, ".%u@%s", s, domains[s % N_ELEMENTS(domains)]);
	free(name.p);
}

static void
rfc_date(struct buf *b, int64_t t)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					  "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
					   "Jun", "Jul", "Aug", "Sep", "Oct",
					   "Nov", "Dec" };
	time_t local = (time_t)(t + 3600);
	struct tm tm;

	gmtime_r(&local, &tm);
	buf_printf(b, "%s, %d %s %d %02d:%02d:%02d +0100", wd[tm.tm_wday],
		   tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		   tm.tm_min, tm.tm_sec);
}

/* N random base64 characters, folded every FOLD (0: never) with
   INDENT. */
static void
random_b64(struct buf *b, size_t n, size_t fold, const char *indent)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i++) {
		if (fold > 0 && i > 0 && i % fold == 0)
			buf_printf(b, "\n%s", indent);
		buf_add(b, &t[rnd() & 63], 1);
	}
}

static void
random_hex(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_add(b, &hexdig[rnd() & 15], 1);
}

/* Wraps the lines of S at about 72 columns as mail clients do; FLOWED
   keeps the space at the end of a wrapped line (RFC 3676). */
static char *
wrap(const char *s, int flowed)
{
	struct buf b = { 0 };
	const char *line = s;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		int quoted = line[0] == '>';

		while (len > 76) {
			size_t cut = 72;

			while (cut > 0 && line[cut] != ' ')
				cut--;
			if (cut == 0)
				break;
			buf_add(&b, line, flowed ? cut + 1 : cut);
			buf_add(&b, quoted ? "\n> " : "\n", quoted ? 3 : 1);
			line += cut + 1;
			len -= cut + 1;
		}
		buf_add(&b, line, len);
		if (nl == NULL)
			break;
		buf_add(&b, "\n", 1);
		line = nl + 1;
	}
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return b.p;
}

/* The text of a mail: greeting, sentences up to about TARGET bytes,
   a signature. */
static void
body_text(struct buf *b, unsigned sender, size_t target, const char *opener)
{
	size_t start = b->len, para = 0;
	struct buf name = { 0 };

	buf_printf(b, "%s\n\n", PICK(greetings));
	if (opener != NULL)
		buf_printf(b, "%s ", opener);
	do {
		buf_puts(b, PICK(sentences));
		if (++para % 4 == 0)
			buf_puts(b, "\n\n");
		else
			buf_puts(b, below(3) == 0 ? "\n" : " ");
	} while (b->len - start < target);
	while (b->len > start && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == ' '))
		b->p[--b->len] = '\0';
	sender_name(sender, &name);
	buf_printf(b, "\n\n%s\n%s\n%s %u\n%03u %02u %s\nTel. 07%u-%03u %02u %02u\n",
		   PICK(closings), name.p, PICK(streets), 1 + below(80),
		   100 + below(900), below(100), PICK(towns), below(10), below(1000),
		   below(100), below(100));
	free(name.p);
}

/* The length of what a citizen writes: mostly short, now and then a
   long letter. */
static size_t
text_size(void)
{
	static const struct {
		unsigned percent, from, to; /* bytes */
	} sizes[] = { { 50, 200, 800 }, { 30, 800, 2000 }, { 15, 2000, 5000 },
		      { 5, 5000, 12000 } };
	unsigned r = below(100);

	for (size_t i = 0; i < N_ELEMENTS(sizes); i++) {
		if (r < sizes[i].percent)
			return sizes[i].from + below(sizes[i].to - sizes[i].from);
		r -= sizes[i].percent;
	}
	return 500;
}

enum provider { P_GMAIL, P_MICROSOFT, P_OTHER };

static enum provider
provider(const char *domain)
{
	if (strcmp(domain, "gmail.com") == 0)
		return P_GMAIL;
	if (strcmp(domain, "hotmail.se") == 0 || strcmp(domain, "outlook.com") == 0 ||
	    strcmp(domain, "live.se") == 0)
		return P_MICROSOFT;
	return P_OTHER;
}

/* What the sender's provider and our MX put on top of a mail: trace
   fields, authentication results, DKIM and ARC signatures, the spam
   filter's verdict; one to five KB as in real mail. */
static void
trace_headers(struct gen *g, struct buf *b, const char *domain,
	      const char *addr)
{
	enum provider p = provider(domain);
	unsigned ip = 1 + below(254);

	buf_printf(b, "Return-Path: <%s>\n", addr);
	buf_puts(b, "Delivered-To: arende@kommun.example\n");
	buf_printf(b, "Received: from mail-%s (mail-%s [192.0.2.%u])\n"
		      "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
		      "(256/256 bits)\n\t key-exchange X25519 server-signature "
		      "RSA-PSS (2048 bits) server-digest SHA256)\n"
		      "\t(No client certificate requested)\n"
		      "\tby mx1.kommun.example (Postfix) with ESMTPS id ",
		   domain, domain, ip);
	random_hex(b, 10);
	buf_puts(b, "\n\tfor <arende@kommun.example>; ");
	rfc_date(b, g->clock);
	buf_printf(b, "\nAuthentication-Results: mx1.kommun.example;\n"
		      "\tdkim=pass (2048-bit key; unprotected) header.d=%s "
		      "header.i=@%s header.b=\"",
		   domain, domain);
	random_b64(b, 8, 0, "");
	buf_printf(b, "\";\n\tdmarc=pass (p=none dis=none) header.from=%s;\n"
		      "\tspf=pass (mx1.kommun.example: domain of %s designates "
		      "192.0.2.%u as permitted sender) smtp.mailfrom=%s\n",
		   domain, addr, ip, addr);
	buf_printf(b, "X-Spam-Status: No, score=-%u.%u\nX-Rspamd-Queue-Id: ",
		   below(3), below(10));
	random_hex(b, 10);
	buf_puts(b, "\nX-Rspamd-Server: mx1\nX-Rspamd-Action: no action\n");
	for (unsigned i = 0, hops = p == P_OTHER ? 1 : 1 + below(2); i < hops; i++) {
		buf_printf(b, "Received: from %s (%s [10.%u.%u.%u])\n"
			      "\tby smtp%u.%s with ESMTPSA id ",
			   p == P_MICROSOFT ? "EUR05-DB8-obe.outbound.protection."
					      "outlook.com" : "localhost",
			   p == P_MICROSOFT ? "mail-db8eur05olkn2100.outbound."
					      "protection.outlook.com" : "localhost",
			   below(256), below(256), below(256), below(20), domain);
		random_hex(b, 16);
		buf_puts(b, "; ");
		rfc_date(b, g->clock - 1);
		buf_puts(b, "\n");
	}
	if (p == P_MICROSOFT) {
		buf_puts(b, "ARC-Seal: i=1; a=rsa-sha256; s=arcselector10001; "
			    "d=microsoft.com; cv=none;\n b=");
		random_b64(b, 342, 76, " ");
		buf_puts(b, "==\nARC-Message-Signature: i=1; a=rsa-sha256; "
			    "c=relaxed/relaxed; d=microsoft.com;\n s=arcselector10001;"
			    " h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:"
			    "X-MS-Exchange-AntiSpam-MessageData-ChunkCount:X-MS-Exchange-"
			    "AntiSpam-MessageData-0:X-MS-Exchange-AntiSpam-MessageData-1;"
			    "\n bh=");
		random_b64(b, 43, 0, "");
		buf_puts(b, "=;\n b=");
		random_b64(b, 342, 76, " ");
		buf_puts(b, "==\nARC-Authentication-Results: i=1; mx.microsoft.com 1; "
			    "spf=none; dmarc=none;\n dkim=none; arc=none\n");
	}
	/* Half of the small providers do not sign. */
	if (p == P_OTHER && below(2) == 0) {
		buf_printf(b, "X-Originating-IP: [198.51.100.%u]\n", 1 + below(254));
		return;
	}
	buf_printf(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
		      "        d=%s; s=%s; t=%lld; x=%lld;\n"
		      "        h=to:subject:message-id:date:from:mime-version:from:"
		      "to:cc:subject\n         :date:message-id:reply-to;\n"
		      "        bh=",
		   domain, p == P_GMAIL ? "20230601" : "selector1",
		   (long long)g->clock, (long long)g->clock + 604800);
	random_b64(b, 43, 0, "");
	buf_puts(b, "=;\n        b=");
	random_b64(b, 342, 70, "         ");
	buf_puts(b, "==\n");
	if (p == P_GMAIL) {
		buf_puts(b, "X-Google-DKIM-Signature: v=1; a=rsa-sha256; "
			    "c=relaxed/relaxed;\n        d=1e100.net; s=20230601; "
			    "h=to:subject:message-id:date:from:mime-version\n"
			    "         :x-gm-message-state:from:to:cc:subject:date;\n"
			    "        bh=");
		random_b64(b, 43, 0, "");
		buf_puts(b, "=;\n        b=");
		random_b64(b, 342, 70, "         ");
		buf_puts(b, "==\nX-Gm-Message-State: ");
		random_b64(b, 150, 70, "\t");
		buf_puts(b, "\nX-Google-Smtp-Source: ");
		random_b64(b, 100, 70, "\t");
		buf_puts(b, "\nX-Received: by 2002:a05:6512:");
		random_hex(b, 4);
		buf_puts(b, " with SMTP id ");
		random_hex(b, 12);
		buf_puts(b, ";\n        ");
		rfc_date(b, g->clock - 1);
		buf_puts(b, "\n");
	} else if (p == P_MICROSOFT) {
		static const char *const ms[] = {
			"X-MS-Exchange-AntiSpam-MessageData-ChunkCount: 1",
			"X-MS-Exchange-CrossTenant-OriginalArrivalTime",
			"X-MS-Exchange-CrossTenant-FromEntityHeader: Hosted",
			"X-MS-Exchange-CrossTenant-Id",
			"X-MS-Exchange-CrossTenant-AuthAs: Internal",
			"X-MS-Exchange-Transport-CrossTenantHeadersStamped",
			"X-MS-PublicTrafficType: Email",
			"X-MS-TrafficTypeDiagnostic",
			"X-MS-Office365-Filtering-Correlation-Id",
			"X-Microsoft-Antispam: BCL:0;ARA:14566002|15080799003|"
			"8060799003|19110799003|461199028|3412199025|440099028;",
		};

		for (size_t i = 0; i < N_ELEMENTS(ms); i++) {
			if (strchr(ms[i], ':') != NULL) {
				buf_printf(b, "%s\n", ms[i]);
				continue;
			}
			buf_printf(b, "%s: ", ms[i]);
			random_hex(b, 8);
			buf_puts(b, "-");
			random_hex(b, 4);
			buf_puts(b, "-");
			random_hex(b, 12);
			buf_puts(b, "\n");
		}
		buf_puts(b, "X-Microsoft-Antispam-Message-Info:\n\t");
		random_b64(b, 600 + below(900), 76, "\t");
		buf_puts(b, "\nX-MS-Exchange-AntiSpam-MessageData-0:\n\t");
		random_b64(b, 300 + below(500), 76, "\t");
		buf_puts(b, "\nContent-Language: sv-SE\nX-MS-Has-Attach:\n"
			    "X-MS-TNEF-Correlator:\nThread-Index: ");
		random_b64(b, 30, 0, "");
		buf_puts(b, "\n");
	} else {
		buf_printf(b, "X-Originating-IP: [198.51.100.%u]\n", 1 + below(254));
	}
}

static void
common_headers(struct gen *g, struct buf *b, unsigned sender, int latin1,
	       const char *subject, char **message_id_r)
{
	const char *domain = domains[sender % N_ELEMENTS(domains)];
	const char *mailer = PICK(mailers);
	struct buf name = { 0 }, addr = { 0 }, mid = { 0 };

	g->clock += 1 + below(5);
	sender_name(sender, &name);
	sender_address(sender, &addr);
	if (provider(domain) == P_GMAIL)
		buf_puts(&mid, "CAF");
	random_b64(&mid, 24, 0, "");
	for (char *p = mid.p; *p != '\0'; p++) {
		if (*p == '/' || *p == '+')
			*p = '_';
	}
	buf_printf(&mid, ".%u@%s", sender, domain);
	trace_headers(g, b, domain, addr.p);
	buf_puts(b, "Date: ");
	rfc_date(b, g->clock - below(30));
	buf_puts(b, "\nFrom: ");
	if (below(6) == 0) {
		buf_printf(b, "%s\n", addr.p);
	} else {
		if (is_ascii(name.p))
			buf_printf(b, "\"%s\"", name.p);
		else
			header_text(b, name.p, latin1, 0);
		buf_printf(b, " <%s>\n", addr.p);
	}
	buf_puts(b, "To: Kommunen <arende@kommun.example>\n");
	if (below(10) == 0) {
		struct buf cc = { 0 };

		sender_address((sender + 7) % g->nsenders, &cc);
		buf_printf(b, "Cc: %s\n", cc.p);
		free(cc.p);
	}
	buf_puts(b, "Subject: ");
	header_text(b, subject, latin1, below(2));
	buf_printf(b, "\nMessage-ID: <%s>\n", mid.p);
	if (mailer != NULL)
		buf_printf(b, "%s\n", mailer);
	buf_puts(b, "MIME-Version: 1.0\n");
	*message_id_r = mid.p;
	free(name.p);
	free(addr.p);
}

static void
plain_part(struct buf *b, const char *text, int qp)
{
	char *w = wrap(text, !qp);

	buf_printf(b, "Content-Type: text/plain; charset=utf-8%s\n"
		      "Content-Transfer-Encoding: %s\n\n",
		   qp ? "" : "; format=flowed", qp ? "quoted-printable" : "8bit");
	if (qp)
		qp_encode(b, w, strlen(w));
	else
		buf_puts(b, w);
	free(w);
}

/* TEXT as a mail client's HTML: paragraphs, line breaks, quotes in a
   blockquote, some letters as entities. */
static void
html_part(struct buf *b, const char *text)
{
	struct buf h = { 0 };
	int quote = 0;

	buf_puts(&h, "<html><head><meta http-equiv=\"Content-Type\" "
		     "content=\"text/html; charset=utf-8\"><style type=\"text/css\">"
		     "p{margin:0 0 1em 0}body{font-family:Calibri,sans-serif}"
		     "</style></head><body><div dir=\"ltr\"><p>");
	for (const char *p = text; *p != '\0'; p++) {
		int bol = p == text || p[-1] == '\n';

		if (bol && p[0] == '>' && !quote) {
			buf_puts(&h, "</p><blockquote style=\"margin:0 0 0 .8ex;"
				     "border-left:1px #ccc solid;padding-left:1ex\"><p>");
			quote = 1;
		}
		if (bol && p[0] == '>') {
			p += p[1] == ' ' ? 1 : 0;
			continue;
		}
		if (p[0] == '\n' && p[1] == '\n') {
			buf_puts(&h, "</p>\n<p>");
			p++;
		} else if (*p == '\n') {
			buf_puts(&h, "<br>\n");
		} else if (strncmp(p, "å", 2) == 0 && below(4) == 0) {
			buf_puts(&h, "&aring;");
			p++;
		} else if (strncmp(p, "ä", 2) == 0 && below(4) == 0) {
			buf_puts(&h, "&auml;");
			p++;
		} else {
			buf_add(&h, p, 1);
		}
	}
	buf_puts(&h, quote ? "</p></blockquote></div></body></html>\n" :
			     "</p></div></body></html>\n");
	buf_puts(b, "Content-Type: text/html; charset=utf-8\n"
		    "Content-Transfer-Encoding: quoted-printable\n\n");
	qp_encode(b, h.p, h.len);
	free(h.p);
}

/* multipart/alternative: the text and its HTML. */
static void
alternative_part(struct buf *b, const char *text)
{
	struct buf boundary = { 0 };

	buf_puts(&boundary, "000000000000");
	random_hex(&boundary, 12);
	buf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
		      "--%s\n", boundary.p, boundary.p);
	plain_part(b, text, 1);
	buf_printf(b, "--%s\n", boundary.p);
	html_part(b, text);
	buf_printf(b, "--%s--\n", boundary.p);
	free(boundary.p);
}

static void
attachment_part(struct gen *g, struct buf *b)
{
	const struct attachment_kind *k = &PICK(attachment_kinds);
	unsigned char *data;
	size_t len;

	if (below(8) == 0) {
		/* The same file again: found in the spool, not written. */
		data = xmalloc(sizeof(g->shared));
		memcpy(data, g->shared, sizeof(g->shared));
		len = sizeof(g->shared);
		k = &attachment_kinds[2];
	} else {
		len = 1200 + below(3800);
		data = xmalloc(len);
		for (size_t i = 0; i < len; i += 8) {
			uint64_t r = rnd();

			memcpy(data + i, &r, len - i < 8 ? len - i : 8);
		}
		memcpy(data, k->magic, strlen(k->magic));
	}
	buf_printf(b, "Content-Type: %s; name=\"", k->type);
	header_text(b, k->name, 0, 0);
	buf_puts(b, "\"\nContent-Disposition: attachment; ");
	if (is_ascii(k->name)) {
		buf_printf(b, "filename=\"%s\"\n", k->name);
	} else {
		buf_puts(b, "filename*=utf-8''");
		for (const unsigned char *p = (const unsigned char *)k->name; *p; p++) {
			if (*p < 0x80 && *p != '%')
				buf_add(b, p, 1);
			else
				buf_printf(b, "%%%c%c", hexdig[*p >> 4], hexdig[*p & 15]);
		}
		buf_puts(b, "\n");
	}
	buf_puts(b, "Content-Transfer-Encoding: base64\n\n");
	b64_encode(b, data, len);
	free(data);
}

#define MAIL_MAX (20 * KB)

/* The next mail into B (emptied first). */
static void
gen_mail(struct gen *g, struct buf *b)
{
	unsigned r = below(100);
	enum kind kind = r < 25 ? K_REPLY : r < 40 ? K_ATTACH : r < 50 ? K_LATIN1 :
			 r < 57 ? K_HTML : r < 72 ? K_ALTERNATIVE : K_PLAIN;
	struct buf text = { 0 }, subj = { 0 }, att = { 0 };
	const struct sent *orig = NULL;
	size_t size = text_size(), room;
	unsigned sender;
	char *mid, *boundary = NULL;
	int alt;

	b->len = 0;
	if (kind == K_REPLY && g->nsent == 0)
		kind = K_PLAIN;
	g->count[kind]++;
	if (kind == K_REPLY) {
		orig = &g->sent[below((unsigned)g->nsent)];
		sender = orig->sender;
		buf_printf(&subj, "%s%s", PICK(reply_prefixes), orig->subject);
	} else {
		sender = below(g->nsenders);
		buf_puts(&subj, PICK(subjects));
		if (below(3) == 0)
			buf_printf(&subj, " (%s %u)", PICK(streets), 1 + below(60));
	}
	common_headers(g, b, sender, kind == K_LATIN1, subj.p, &mid);
	if (kind == K_REPLY) {
		/* One in three has lost In-Reply-To on the way; References
		   still tie it. */
		if (below(3) != 0)
			buf_printf(b, "In-Reply-To: <%s>\n", orig->message_id);
		buf_printf(b, "References: <%s>\n", orig->message_id);
	}
	if (kind == K_ATTACH) {
		boundary = xasprintf("----=_Part_%u_%08x.%u", below(100000),
				     (unsigned)rnd(), sender);
		for (int i = below(5) == 0 ? 2 : 1; i > 0; i--) {
			buf_printf(&att, "--%s\n", boundary);
			attachment_part(g, &att);
		}
	}
	/* Webmail and Outlook send the text with its HTML. */
	alt = kind == K_ALTERNATIVE || (kind == K_REPLY && below(5) < 2) ||
	      (kind == K_ATTACH && below(2) == 0);
	/* Keep the whole mail within 20 KB: quoted-printable adds a fifth,
	   HTML about as much again as the text. */
	room = MAIL_MAX > b->len + att.len + 1200 ? MAIL_MAX - b->len - att.len - 1200 :
						    200;
	room = room * 10 / (alt ? 35 : kind == K_HTML ? 25 : 12);
	if (size > room)
		size = room;
	body_text(&text, sender, size, kind == K_REPLY ? PICK(reply_openers) : NULL);
	if (kind == K_REPLY) {
		buf_puts(&text, "\nDen 2 mars 2026 kl. 09:14 skrev Kommunen "
				"<arende@kommun.example>:\n> Tack för ditt "
				"meddelande till Kommunen. Vi har tagit emot det\n"
				"> och gett det ett ärendenummer.\n>\n");
		for (int i = 0; i < 3; i++)
			buf_printf(&text, "> %s\n", PICK(sentences));
	}
	g->text_bytes += (long)text.len;
	switch (kind) {
	case K_PLAIN:
		plain_part(b, text.p, below(2));
		break;
	case K_REPLY:
		if (alt)
			alternative_part(b, text.p);
		else
			plain_part(b, text.p, below(2));
		break;
	case K_ALTERNATIVE:
		alternative_part(b, text.p);
		break;
	case K_HTML:
		html_part(b, text.p);
		break;
	case K_LATIN1: {
		char *w = wrap(text.p, 0), *l = to_latin1(w);

		free(w);
		buf_puts(b, "Content-Type: text/plain; charset=iso-8859-1\n"
			    "Content-Transfer-Encoding: quoted-printable\n\n");
		qp_encode(b, l, strlen(l));
		free(l);
		break;
	}
	case K_ATTACH:
		buf_printf(b, "Content-Type: multipart/mixed;\n"
			      "\tboundary=\"%s\"\n\n"
			      "This is a multi-part message in MIME format.\n\n"
			      "--%s\n",
			   boundary, boundary);
		/* Half of them as a webmail sends them: the text with its
		   HTML inside. */
		if (alt)
			alternative_part(b, text.p);
		else
			plain_part(b, text.p, 1);
		buf_add(b, att.p, att.len);
		buf_printf(b, "--%s--\n", boundary);
		break;
	default:
		abort();
	}
	if (kind != K_REPLY) {
		g->sent[g->nsent].message_id = mid;
		g->sent[g->nsent].sender = sender;
		g->sent[g->nsent].subject = xstrdup(subj.p);
		g->nsent++;
	} else {
		free(mid);
	}
	g->bytes += (long)b->len;
	if ((long)b->len < g->min_size)
		g->min_size = (long)b->len;
	if ((long)b->len > g->max_size)
		g->max_size = (long)b->len;
	free(boundary);
	free(att.p);
	free(text.p);
	free(subj.p);
}

static void
print_mix(const struct gen *g, long n)
{
	long replies = g->count[K_REPLY];

	printf("mails=%ld new=%ld replies=%ld plain=%ld alternative=%ld "
	       "html=%ld attach=%ld latin1=%ld senders=%u bytes=%ld "
	       "min=%ld avg=%ld max=%ld text_avg=%ld\n",
	       n, n - replies, replies, g->count[K_PLAIN],
	       g->count[K_ALTERNATIVE], g->count[K_HTML], g->count[K_ATTACH],
	       g->count[K_LATIN1], g->nsenders, g->bytes,
	       n > 0 ? g->min_size : 0, n > 0 ? g->bytes / n : 0, g->max_size,
	       n > 0 ? g->text_bytes / n : 0);
}

static long
parse_count(const char *s)
{
	long n;

	if (str_to_long(s, 1, 100000000, &n) < 0) {
		fprintf(stderr, "bench-mail: bad count: %s\n", s);
		exit(64);
	}
	return n;
}

static int
cmd_gen(const char *db, long n)
{
	struct store_settings set = { .busy_timeout_ms = 60000, .create = 0 };
	struct store *store = NULL;
	struct buf b = { 0 };
	struct gen g;
	char *err = NULL;
	int64_t now = cirm_now();

	if (store_open(db, &set, &store, &err) < 0) {
		fprintf(stderr, "bench-mail: %s\n", err);
		free(err);
		return 1;
	}
	gen_init(&g, n);
	for (long i = 0; i < n; i++) {
		if (i % GEN_TXN_ROWS == 0 && store_begin(store, &err) < 0)
			goto fail;
		gen_mail(&g, &b);
		char sha[BLOB_ID_LEN + 1];

		/* as the Maildir and IMAP gateways queue them */
		blob_id(b.p, b.len, sha);
		if (store_inbox_put_keyed(store, "email", "bench", now, NULL, b.p,
					  b.len, sha, NULL, &err) < 0)
			goto fail;
		if ((i + 1) % GEN_TXN_ROWS == 0 || i + 1 == n) {
			if (store_commit(store, &err) < 0)
				goto fail;
		}
	}
	print_mix(&g, n);
	gen_free(&g);
	free(b.p);
	store_free(&store);
	return 0;
fail:
	fprintf(stderr, "bench-mail: %s\n", err);
	free(err);
	store_rollback(store);
	store_free(&store);
	return 1;
}

static int
cmd_mailgate_input(const char *dir, long n)
{
	struct buf b = { 0 };
	struct gen g;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "bench-mail: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	gen_init(&g, n);
	for (long i = 0; i < n; i++) {
		char *path = xasprintf("%s/%06ld.eml", dir, i);
		FILE *f = fopen(path, "w");

		gen_mail(&g, &b);
		if (f == NULL || fwrite(b.p, 1, b.len, f) != b.len ||
		    fclose(f) != 0) {
			fprintf(stderr, "bench-mail: %s: %s\n", path, strerror(errno));
			free(path);
			return 1;
		}
		free(path);
	}
	print_mix(&g, n);
	gen_free(&g);
	free(b.p);
	return 0;
}

/* --- running and measuring --- */

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Runs ARGV with stdin from IN_FD (-1: inherited) and stdout to
   /dev/null when QUIET; returns the exit status (128 + signal) and the
   child's resource usage. */
static int
run(char **argv, int in_fd, int quiet, struct rusage *ru)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("bench-mail: fork");
		exit(1);
	}
	if (pid == 0) {
		if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
			_exit(126);
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
				_exit(126);
		}
		execv(argv[0], argv);
		fprintf(stderr, "bench-mail: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, ru) < 0) {
		if (errno != EINTR) {
			perror("bench-mail: wait4");
			exit(1);
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Prints "SECONDS PEAK_RSS_KIB USER_SECONDS SYS_SECONDS STATUS". */
static int
cmd_rusage(char **argv)
{
	struct rusage ru;
	double t0 = now_seconds(), t;
	int status = run(argv, -1, 0, &ru);

	t = now_seconds() - t0;
	printf("%.3f %ld %.3f %.3f %d\n", t, ru.ru_maxrss, tv_seconds(&ru.ru_utime),
	       tv_seconds(&ru.ru_stime), status);
	return 0;
}

static int
eml_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".eml") == 0;
}

/* Prints "FILES SECONDS PEAK_RSS_KIB FAILURES". */
static int
cmd_each(const char *dir, char **argv)
{
	struct dirent **names;
	int n = scandir(dir, &names, eml_file, alphasort), failures = 0;
	long peak = 0;
	double t0, t;

	if (n < 0) {
		fprintf(stderr, "bench-mail: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	t0 = now_seconds();
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC), status;
		struct rusage ru;

		if (fd < 0) {
			fprintf(stderr, "bench-mail: %s: %s\n", path, strerror(errno));
			return 1;
		}
		status = run(argv, fd, 1, &ru);
		close(fd);
		if (status != 0 && failures++ == 0)
			fprintf(stderr, "bench-mail: %s: exit status %d\n", path,
				status);
		if (ru.ru_maxrss > peak)
			peak = ru.ru_maxrss;
		free(path);
		free(names[i]);
	}
	t = now_seconds() - t0;
	free(names);
	printf("%d %.3f %ld %d\n", n, t, peak, failures);
	return 0;
}

static int64_t
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "bench-mail: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

/* Prints "INBOX CASES FOLLOW_UPS QUARANTINED INBOUND_MESSAGES ATTACHMENTS
   OUTBOX". */
static int
cmd_count(const char *path)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM inbox",
		"SELECT count(*) FROM cases",
		"SELECT count(*) FROM event WHERE kind = 'mail.citizen'",
		"SELECT count(*) FROM quarantine",
		"SELECT count(*) FROM message WHERE direction = 'in'",
		"SELECT count(*) FROM attachment",
		"SELECT count(*) FROM outbox",
	};
	sqlite3 *db;
	int ret = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench-mail: %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	sqlite3_busy_timeout(db, 60000);
	for (size_t i = 0; i < N_ELEMENTS(sql); i++) {
		int64_t n = count(db, sql[i]);

		if (n < 0)
			ret = 1;
		printf("%s%lld", i > 0 ? " " : "", (long long)n);
	}
	printf("\n");
	sqlite3_close(db);
	return ret;
}

static void CIRM_PRINTF(1, 2) __attribute__((noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-mail: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* The value of header NAME (the first, unfolded) of the mail in PATH,
   without angle brackets, into OUT; 0, or -1 when there is none. */
static int
mail_header(const char *path, const char *name, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t nlen = strlen(name);
	char line[1024];
	int ret = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v, *e;

		if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n'))
			break;
		if (strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		v = line + nlen + 1;
		v += strspn(v, " \t<");
		e = v + strcspn(v, ">\r\n \t");
		*e = '\0';
		snprintf(out, size, "%s", v);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Steady arrivals: the mails of SRC go into DST one by one at RATE a
   second (each at its own moment, not in bursts), as mail reaches a
   municipality through the day. */
static int
cmd_drip(const char *src, const char *dst, long rate, const char *logpath)
{
	DIR *d = opendir(src);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	struct timespec t0;
	FILE *log = fopen(logpath, "w");

	if (d == NULL || log == NULL || rate <= 0)
		die("drip: %s: %s", d == NULL ? src : logpath, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	clock_gettime(CLOCK_REALTIME, &t0);
	for (size_t i = 0; i < n; i++) {
		int64_t at_ns = (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec +
			(int64_t)i * 1000000000 / rate;
		struct timespec at = { at_ns / 1000000000, at_ns % 1000000000 };
		struct timespec now;
		char *from = xasprintf("%s/%s", src, names[i]);
		char *to = xasprintf("%s/%s", dst, names[i]);
		char id[512];

		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at,
				       NULL) == EINTR)
			;
		if (mail_header(from, "Message-ID", id, sizeof(id)) < 0)
			die("drip: %s has no Message-ID", from);
		if (rename(from, to) < 0)
			die("drip: %s: %s", to, strerror(errno));
		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(log, "%s %lld.%09ld\n", id, (long long)now.tv_sec,
			now.tv_nsec);
		free(from);
		free(to);
		free(names[i]);
	}
	free(names);
	if (fclose(log) != 0)
		die("drip: %s: %s", logpath, strerror(errno));
	printf("dripped=%zu rate=%ld\n", n, rate);
	return 0;
}

struct arrival {
	char *id;
	double at;
};

static int
cmp_arrival(const void *a, const void *b)
{
	return strcmp(((const struct arrival *)a)->id,
		      ((const struct arrival *)b)->id);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_latency(const char *logpath, const char *dir, const char *skip)
{
	FILE *log = fopen(logpath, "r");
	struct arrival *arr = NULL;
	size_t narr = 0, nlat = 0;
	double *lat = NULL;
	char line[1024];
	DIR *top;
	struct dirent *r;

	if (log == NULL)
		die("latency: %s: %s", logpath, strerror(errno));
	while (fgets(line, sizeof(line), log) != NULL) {
		char *sp = strchr(line, ' ');

		if (sp == NULL)
			continue;
		*sp = '\0';
		arr = xrealloc(arr, (narr + 1) * sizeof(*arr));
		arr[narr].id = xstrdup(line);
		arr[narr++].at = strtod(sp + 1, NULL);
	}
	fclose(log);
	qsort(arr, narr, sizeof(*arr), cmp_arrival);
	top = opendir(dir);
	if (top == NULL)
		die("latency: %s: %s", dir, strerror(errno));
	while ((r = readdir(top)) != NULL) {
		char *sub;
		DIR *d;
		struct dirent *e;

		if (r->d_name[0] == '.' ||
		    (skip != NULL && strcmp(r->d_name, skip) == 0))
			continue;
		sub = xasprintf("%s/%s/new", dir, r->d_name);
		d = opendir(sub);
		while (d != NULL && (e = readdir(d)) != NULL) {
			char *path = xasprintf("%s/%s", sub, e->d_name);
			struct arrival key = { 0 }, *hit;
			char id[512];
			struct stat st;

			if (e->d_name[0] != '.' &&
			    mail_header(path, "In-Reply-To", id, sizeof(id)) == 0 &&
			    stat(path, &st) == 0) {
				key.id = id;
				hit = bsearch(&key, arr, narr, sizeof(*arr),
					      cmp_arrival);
				if (hit != NULL) {
					lat = xrealloc(lat, (nlat + 1) *
						       sizeof(*lat));
					lat[nlat++] = (double)st.st_mtim.tv_sec +
						st.st_mtim.tv_nsec / 1e9 -
						hit->at;
				}
			}
			free(path);
		}
		if (d != NULL)
			closedir(d);
		free(sub);
	}
	closedir(top);
	if (nlat == 0)
		die("latency: no answers to the logged mails in %s", dir);
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("answers=%zu p50_ms=%.0f p99_ms=%.0f max_ms=%.0f\n", nlat,
	       lat[nlat / 2] * 1000, lat[(size_t)((double)nlat * 0.99)] * 1000,
	       lat[nlat - 1] * 1000);
	for (size_t i = 0; i < narr; i++)
		free(arr[i].id);
	free(arr);
	free(lat);
	return 0;
}

/* Whether DIR holds an entry other than . and .. (it stops at the first
   one: a directory of 10,000 names is not read through each time). */
static int
dir_has_entry(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		die("drained: %s: %s", dir, strerror(errno));
	while (!found && (e = readdir(d)) != NULL)
		found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return found;
}

/* Waits until nothing is left to take in or to send: DIR (the inbox
   Maildir's new/) is empty, the inbox table too, and no outbox row is
   queued or being sent. Polls every 20 ms from this one process with
   one connection: the shell loop this replaces (find and three
   sqlite3 processes five times a second) took 5-7% of the two cores
   from what it measured, and its 0.2 s sleeps made the end late.
   Prints the wall-clock time it saw that, in seconds with nanoseconds. */
static int
cmd_drained(const char *path, const char *dir)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	struct timespec now;
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("drained: %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 60000);
	for (;;) {
		int64_t n;

		if (!dir_has_entry(dir)) {
			n = count(db, "SELECT count(*) FROM inbox");
			if (n == 0)
				n = count(db, "SELECT count(*) FROM outbox WHERE "
					  "status IN ('queued', 'sending')");
			if (n < 0)
				die("drained: %s cannot be read", path);
			if (n == 0)
				break;
		}
		nanosleep(&pause, NULL);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	sqlite3_close(db);
	printf("%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench-mail gen DB N\n"
		"       bench-mail mailgate-input DIR N\n"
		"       bench-mail rusage CMD [ARG...]\n"
		"       bench-mail each DIR CMD [ARG...]\n"
		"       bench-mail count DB\n"
		"       bench-mail drip SRC DST RATE LOG\n"
		"       bench-mail latency LOG DIR [SKIP]\n"
		"       bench-mail drained DB DIR\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "gen") == 0 && argc == 4)
		return cmd_gen(argv[2], parse_count(argv[3]));
	if (strcmp(argv[1], "mailgate-input") == 0 && argc == 4)
		return cmd_mailgate_input(argv[2], parse_count(argv[3]));
	if (strcmp(argv[1], "rusage") == 0 && argc >= 3)
		return cmd_rusage(argv + 2);
	if (strcmp(argv[1], "each") == 0 && argc >= 4)
		return cmd_each(argv[2], argv + 3);
	if (strcmp(argv[1], "count") == 0 && argc == 3)
		return cmd_count(argv[2]);
	if (strcmp(argv[1], "drip") == 0 && argc == 6)
		return cmd_drip(argv[2], argv[3], parse_count(argv[4]), argv[5]);
	if (strcmp(argv[1], "latency") == 0 && (argc == 4 || argc == 5))
		return cmd_latency(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (strcmp(argv[1], "drained") == 0 && argc == 4)
		return cmd_drained(argv[2], argv[3]);
	usage();
	return 64;
}
