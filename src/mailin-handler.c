/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A handler's mail: a reply on a case, with commands at the top and the
   text for the citizen below, or commands without a case (#list, #show,
   #search, #help). Commands are all or nothing: when any line cannot be
   carried out nothing happens and the handler gets a transcript. */
#include "config.h"

#include "mailin-private.h"

#include "blob.h"
#include "digest.h"
#include "e164.h"
#include "forward.h"
#include "html.h"
#include "log.h"
#include "mailout.h"
#include "reply.h"
#include "token.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What handlers read, in their language: Swedish first. */
struct text {
	const char *sv, *en;
};

static const char *
tr(const struct text *t, const char *lang)
{
	return lang != NULL && strcmp(lang, "en") == 0 ? t->en : t->sv;
}

static const struct text
	T_UNKNOWN = { "okänt kommando", "unknown command" },
	T_MEANT = { "Menade du", "Did you mean" },
	/* a command of the newer version, on a case the older one runs:
	   then " (VERSION)" and T_NEWER_ONLY[1] " VERSION" */
	T_NEWER_ONLY[2] = {
		{ " i den version av arbetsflödet som ärendet följer",
		  " in the version of the workflow the case runs" },
		{ "; det finns i version", "; version" },
	},
	T_NEWER_ONLY_END = { ", som nya ärenden får",
			     ", which new cases get, has it" },
	T_NOT_NOW = { "går inte i ärendets nuvarande läge",
		      "not possible in the case's current state" },
	T_AFTER = { "går inte i det läge kommandona ovanför ger ärendet",
		    "not possible in the state the commands above put the "
		    "case in" },
	T_ROLE = { "bara för", "only for" },
	T_NEEDS_LOGIN = { "ange en handläggares inloggning",
			  "give a case officer's login" },
	T_NO_HANDLER = { "ingen handläggare med den inloggningen",
			 "no case officer with that login" },
	T_HANDLER_OFF = { "handläggaren är avstängd i cirm",
			  "that case officer is disabled in cirm" },
	T_HANDLER_AWAY = { "handläggaren är borta till och med",
			   "that case officer is away up to and including" },
	T_NEEDS_WORD = { "ange ett ord", "give a word" },
	T_FORWARD_ADDRESS = { "ange en e-postadress, som i #vidarebefordra "
			      "namn@exempel.se", "give a mail address, as in "
			      "#forward name@example.com" },
	T_FORWARD_OWN = { "är ärendeadressen; vidarebefordra till någon "
			  "utanför, och ge ett ärende till en kollega med "
			  "#tilldela", "is the case address; forward to "
			  "someone outside, and give a case to a colleague "
			  "with #assign" },
	T_FORWARD_ONE = { "en adress per rad, utan namn: #vidarebefordra "
			  "namn@exempel.se", "one address a line, without a "
			  "name: #forward name@example.com" },
	T_FORWARD_HANDLER = { "är en handläggares adress; ge ärendet till en "
			      "kollega med #tilldela, eller skriv till dem "
			      "direkt", "is a case officer's address; give the "
			      "case to a colleague with #assign, or write to "
			      "them directly" },
	T_FORWARD_TEXT = { "behöver en text under kommandona till mottagaren: "
			   "vad de ska göra eller svara på", "needs a text "
			   "below the commands for the recipient: what they "
			   "are to do or answer" },
	/* #klar's text would go to the one forwarded to */
	T_FORWARD_CITIZEN = { "behöver en text till invånaren, och texten "
			      "under #vidarebefordra går till mottagaren; "
			      "skicka dem i var sitt svar", "needs a text for "
			      "the citizen, and the text under #forward goes "
			      "to the recipient; send them in two replies" },
	T_FORWARD_WRITES = { "skriver till invånaren, och texten under "
			     "#vidarebefordra går bara till mottagaren; "
			     "skicka dem i var sitt svar", "writes to the "
			     "citizen, and the text under #forward goes to the "
			     "recipient only; send them in two replies" },
	T_NO_ARG = { "tar inget argument", "takes no argument" },
	/* a question under #notering would never be asked */
	T_NOTE_TEXT = { "behöver en text till invånaren, och #notering gör "
			"texten intern; skicka texten till invånaren och "
			"noteringen i var sitt svar",
			"needs a text for the citizen, and #note makes the "
			"text internal; send the text for the citizen and the "
			"note in replies of their own" },
	T_NEEDS_TEXT = { "behöver en text under kommandona",
			 "needs a text below the commands" },
	/* #fråga would leave the case waiting for an answer to a question
	   nobody asked */
	T_TEXT_STOPPED = { "behöver nå invånaren, som har tackat nej till "
			   "sms (STOPP): inget sms når hen förrän hen skickar "
			   "START. Nå hen på annat sätt, till exempel per "
			   "telefon, och anteckna det med #notering",
			   "needs to reach the citizen, who asked for no more "
			   "SMS (STOP): no SMS reaches them until they send "
			   "START. Reach them another way, by telephone for "
			   "instance, and record it with #note" },
	/* after T_TEXT_STOPPED and T_SMS_OPTOUT_BODY: the number to ring */
	T_STOPPED_NUMBER = { "Invånarens nummer: ", "The citizen's number: " },
	/* actions of the workflow the reply ran that found nobody in the
	   directory (a #remiss to a group not set up): skipped_told */
	T_SKIPPED = { "Arbetsflödet hittade ingen",
		      "The workflow found nobody" },
	T_SKIPPED_LEAD = { "Ditt svar är behandlat och finns i ärendet, men "
			   "arbetsflödet hittade ingen för det här:",
			   "Your reply is handled and kept on the case, but the "
			   "workflow found nobody for this:" },
	T_SKIPPED_END = { "Inget av detta har alltså skett. Kontakta den det "
			  "gäller direkt, och be administratören lägga upp "
			  "det som saknas (cirmctl status visar det också).",
			  "None of this has happened, then. Reach whoever it "
			  "concerns directly, and ask your administrator to "
			  "set up what is missing (cirmctl status shows it "
			  "too)." },
	T_SKIP_NOTIFY = { "meddelande till", "notification to" },
	T_SKIP_ASSIGN = { "tilldelning till", "assignment to" },
	T_SKIP_ASSIGN_IN = { "tilldelning inom", "assignment within" },
	T_SKIP_SET_GROUP = { "ärendets grupp sattes inte till",
			     "the case's group was not set to" },
	T_SKIP_GROUP = { "gruppen", "group" },
	T_SKIP_OFFICER = { "ärendets handläggare", "the case's officer" },
	T_SKIP_SOMEONE = { "en handläggare", "a case officer" },
	T_SKIP_NO_GROUP = { "gruppen finns inte i cirm",
			    "there is no such group in cirm" },
	T_SKIP_NO_ADDRESS = { "handläggaren har ingen e-postadress",
			      "the case officer has no mail address" },
	/* most often a group nobody is in (yet): not "its members have
	   no address", which sends the reader looking for members */
	T_SKIP_NOBODY_MAIL = { "gruppen har ingen aktiv handläggare med "
			       "e-postadress", "the group has no active case "
			       "officer with a mail address" },
	T_SKIP_NOBODY = { "ingen aktiv handläggare i gruppen",
			  "no active case officer in the group" },
	T_SKIP_NO_OFFICER = { "ärendet har varken handläggare eller grupp",
			      "the case has neither a case officer nor a "
			      "group" },
	/* the text is often meant for the colleague (#tilldela): sent
	   on its own it would reach the citizen */
	T_NO_TEXT = { "tar ingen text till invånaren; är texten till "
		      "kollegor, skriv #notering på en rad ovanför den, och "
		      "är den till invånaren, skicka den i ett eget svar",
		      "takes no text for the citizen; if the text is for "
		      "colleagues, write #note on a line above it, and if it "
		      "is for the citizen, send it in a reply of its own" },
	T_PRIORITY = { "ange låg, normal, hög eller brådskande",
		       "give low, normal, high or urgent" },
	T_DUE = { "ange ett datum ÅÅÅÅ-MM-DD (eller D/M)",
		  "give a date YYYY-MM-DD (or D/M)" },
	T_LANGUAGE = { "ange sv (svenska) eller en (engelska)",
		       "give sv (Swedish) or en (English)" },
	T_NO_CITIZEN = { "ärendet har ingen invånare",
			 "the case has no citizen" },
	T_NAME = { "ange namnet, som i #namn Anna Andersson (högst 100 tecken)",
		   "give the name, as in #name Anna Andersson (at most 100 "
		   "characters)" },
	T_DUE_PAST = { "datumet har redan varit", "the date is past" },
	/* 2026-02-30, 31/4: a slip, not a form cirm does not read */
	T_NO_SUCH_DAY = { "det datumet finns inte", "there is no such day" },
	T_CANNED_NAME = { "skriv standardsvarets namn, som i #mall "
			  "oppettider", "give the standard answer's name, as "
			  "in #canned oppettider" },
	T_NO_CANNED = { "inget sådant standardsvar", "no such standard "
			"answer" },
	T_CANNED_ONE = { "ett standardsvar per rad, som #mall oppettider och "
			 "#mall tack på var sin rad", "one standard answer a "
			 "line, as #canned oppettider and #canned tack on "
			 "lines of their own" },
	T_CANNED_NOTE = { "ett standardsvar går till invånaren, och "
			  "#notering gör svaret internt", "a standard answer "
			  "goes to the citizen, and #note makes the reply "
			  "internal" },
	T_CANNED_BAD = { "standardsvaret kan inte läsas; be administratören "
			 "se över filen", "the standard answer cannot be "
			 "read; ask the administrator to look at its file" },
	T_NOT_HERE = { "finns inte i det här arbetsflödet",
		       "not a command of this workflow" },
	T_CLOSED = { "ärendet är avslutat", "the case is closed" },
	/* #lista, #visa, #sök on a case (elsewhere()) */
	T_CASE_ADDRESS = { "tas emot utan ärende: skicka det i ett nytt mejl "
			   "till ärendeadressen", "taken on no case: send it "
			   "in a new mail to the case address" },
	/* a command whose argument="case": #slå-ihop KS-2026-00042 */
	T_NEEDS_CASE = { "ange numret på det ärende som ska behållas",
			 "give the number of the case to keep" },
	T_NO_CASE = { "inget ärende har det numret",
		      "no case has that number" },
	T_SAME_CASE = { "det är det här ärendet; ange det ärende som det ska "
			"slås ihop med",
			"that is this case; give the case to merge it into" },
	T_CASE_UNREADABLE = { "det ärendet är inte ditt att läsa: varken "
			      "tilldelat dig eller i någon av dina grupper",
			      "that case is not yours to read: neither "
			      "assigned to you nor in one of your groups" },
	T_OTHER_CITIZEN = { "det ärendet gäller en annan invånare; bara samma "
			    "invånares ärenden slås ihop",
			    "that case has another citizen; only the same "
			    "citizen's cases are merged" },
	T_KEPT_CLOSED = { "det ärendet är avslutat", "that case is closed" },
	T_MERGE_OPEN = { "arbetsflödet lämnade ärendet öppet, så det slogs "
			 "inte ihop; säg till administratören",
			 "the workflow left the case open, so it was not "
			 "merged; tell the administrator" },
	T_MERGED = { "; det har slagits ihop med", "; it was merged into" },
	T_BELOW = { "kommandon skrivs överst i svaret, före texten",
		    "commands go at the top of the reply, before the text" },
	/* nothing was: the reply is carried out whole or not at all */
	T_OK = { "går att utföra", "can be carried out" },
	T_REFUSED = { "utförs inte", "not carried out" },
	T_SMS_SUBJECT = { "Ditt svar är för långt för sms",
			  "Your answer is too long for SMS" },
	T_TNEF = { "Bilagan winmail.dat skickades inte",
		   "The attachment winmail.dat was not sent" },
	T_SMS_FILES = { "Bilagorna skickades inte med sms",
			"The attachments did not go by SMS" },
	T_SMS_OPTOUT = { "Ditt svar skickades inte: invånaren har tackat nej "
			 "till sms",
			 "Your answer was not sent: the citizen opted out "
			 "of SMS" },
	T_SMS_OPTOUT_BODY = {
		"Ditt svar skickades inte till invånaren: numret har tackat "
		"nej till sms (invånaren skickade STOPP). Svaret finns kvar i "
		"ärendet. Behöver invånaren det, nå hen på annat sätt, till "
		"exempel per telefon, och anteckna det med #notering. "
		"Skickar invånaren START får hen sms igen.\n",
		"Your answer did not go to the citizen: the number has opted "
		"out of SMS (the citizen sent STOP). The answer is kept on "
		"the case. If the citizen needs it, reach them another way, "
		"for example by telephone, and record it with #note. If the "
		"citizen sends START, they get SMS again.\n" },
	T_GSM7 = { "vanliga tecken, 153 per del", "plain characters, 153 a "
		   "segment" },
	T_UCS2 = { "tecken utanför sms-alfabetet, 67 per del",
		   "characters outside the SMS alphabet, 67 a segment" },
	T_SUBJECT = { "Dina kommandon utfördes inte",
		      "Your commands were not carried out" },
	T_INTRO = { "Ditt svar på ärendet innehöll kommandon som inte kunde "
		    "utföras. Ingenting har ändrats i ärendet och inget har "
		    "skickats till invånaren. Rad för rad:",
		    "Your reply on the case had commands that could not be "
		    "carried out. Nothing has changed on the case and nothing "
		    "was sent to the citizen. Line by line:" },
	T_RETRY = { "Rätta och svara igen på aviseringen (eller på det här "
		    "mejlet).",
		    "Correct them and reply to the notification again (or to "
		    "this mail)." },
	T_INTERNAL_SUBJECT = { "Ditt svar skickades inte",
			       "Your answer was not sent" },
	T_INTERNAL = { "Ditt svar skickades inte till invånaren: det "
		       "innehåller en rad ur ärendets historik som invånaren "
		       "inte ska se (märkt intern, utifrån eller avvisat), "
		       "troligen i den citerade aviseringen. Ärendet är "
		       "oförändrat och inga kommandon har utförts.\n\nTa bort "
		       "den citerade aviseringen, eller åtminstone de "
		       "raderna, och svara igen på aviseringen (eller på det "
		       "här mejlet).\n",
		       "Your answer was not sent to the citizen: it holds a "
		       "line of the case's history that the citizen must not "
		       "see (marked internal, from outside or refused), in "
		       "the quoted notification most likely. The case is "
		       "unchanged and no commands were carried out.\n\n"
		       "Remove the quoted notification, or those lines at "
		       "least, and reply to the notification again (or to "
		       "this mail).\n" },
	T_EMPTY_SUBJECT = { "Ditt svar var tomt", "Your reply was empty" },
	T_EMPTY = { "Ditt svar hade ingen text av dig och inga kommandon, "
		    "bara citerad text. Inget har skickats till invånaren "
		    "och ärendet är oförändrat.\n\nSkriv svaret på egna rader "
		    "(inte på rader som börjar med >), överst eller mellan de "
		    "citerade raderna, och svara igen på aviseringen (eller "
		    "på det här mejlet).\n",
		    "Your reply had no text of your own and no commands, "
		    "only quoted text. Nothing was sent to the citizen and "
		    "the case is unchanged.\n\nWrite your answer on lines of "
		    "its own (not on lines starting with >), at the top or "
		    "between the quoted lines, and reply to the notification "
		    "again (or to this mail).\n" },
	T_RETRY_FILES = { "Bifoga filerna igen: de finns kvar i ärendet men "
			  "följer inte med ett nytt svar av sig själva.",
			  "Attach the files again: they are kept on the case "
			  "but do not go along with a new reply by "
			  "themselves." };

enum builtin {
	CMD_WORKFLOW,
	CMD_NOTE,
	CMD_PRIORITY,
	CMD_CATEGORY,
	CMD_DUE,
	CMD_LANGUAGE,
	CMD_NAME,
	CMD_CANNED,
	CMD_HELP,
	CMD_FORWARD,
};

struct command {
	char *line;		/* as written, for the transcript */
	char *word, *arg;
	enum builtin kind;
	const struct workflow_command *wc;
	int64_t merge_into;	/* argument="case": the case to keep */
	const char *error;	/* NULL when it can be carried out */
	char *error_detail;	/* after ERROR, or NULL */
};

struct reply {
	struct command *cmds;
	size_t ncmds;
	char *text;		/* what follows the commands, trimmed */
	bool note;
	bool forward;		/* the text goes to someone outside
				   (#vidarebefordra): internal, as a note */
	bool signature;		/* the text is the mail client's signature
				   alone, kept as a note: no message */
	bool files_alone;	/* files and no text, for the citizen */
	/* the pictures of the handler's signature, kept from the citizen:
	   for each part of the mail whether it is one (NULL: none is), and
	   their contents, ",SHA256,SHA256,", or NULL */
	bool *logo;
	char *signature_pictures;
	bool closed;		/* the case is */
	/* the case is by SMS, to a number that asked for none (STOP), which
	   is this (or NULL): the handler told of it gets the number whole,
	   to ring the citizen, as no answer reaches them by SMS */
	bool sms_stopped;
	char *stopped_number;
	/* actions of the workflow that found nobody (skipped_told) */
	struct caseflow_skips skipped;
	/* the case it was merged into (closing it), or "", and its id */
	char merged[STORE_CASE_NUMBER_MAX];
	int64_t merged_id;
	char *lang;		/* the handler's */
	char *address;		/* the handler's, for the transcript */
	/* TEXT with the citizen's own lines each answer is below, when the
	   handler answered between quotes, or NULL */
	char *shown;
	/* the standard answers (#mall) put into TEXT, and TEXT as the
	   handler wrote it; both NULL when none was */
	char *canned, *typed;
	/* the handler's signature under "-- ", which TEXT lost (it names
	   who signs an SMS), or NULL */
	char *delimited_signature;
};

/* What the handler wrote, without the standard answers put in: what a
   refused reply keeps. */
static const char *
typed_text(const struct reply *r)
{
	return r->typed != NULL ? r->typed : r->text;
}

/* The length of the blank character at S, or 0: a space, a tab, a
   no-break space, a byte order mark, or a zero-width space, joiner or
   non-joiner or word joiner (U+200B..U+200D, U+2060), which editors and
   pasted text put where a handler sees nothing at all. */
static size_t
blank_len(const char *s)
{
	if (*s == ' ' || *s == '\t')
		return 1;
	if (s[0] == '\xc2' && s[1] == '\xa0')
		return 2;
	if ((s[0] == '\xef' && s[1] == '\xbb' && s[2] == '\xbf') ||
	    (s[0] == '\xe2' && s[1] == '\x80' && s[2] >= '\x8b' &&
	     s[2] <= '\x8d') ||
	    (s[0] == '\xe2' && s[1] == '\x81' && s[2] == '\xa0'))
		return 3;
	return 0;
}

const char *
mailin_skip_blank(const char *s)
{
	for (size_t n; (n = blank_len(s)) > 0;)
		s += n;
	return s;
}

/* The length of the command word at W, up to a blank or the line's end. */
static size_t
word_len(const char *w)
{
	size_t n = 0;

	while (w[n] != '\0' && w[n] != '\n' &&
	       mailin_skip_blank(w + n) == w + n)
		n++;
	return n;
}

/* S without its trailing white space, no-break spaces and the other
   blanks of blank_len included. */
static void
trim_end(char *s)
{
	size_t n = strlen(s);

	for (;;) {
		if (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
		else if (n > 1 && blank_len(s + n - 2) == 2)
			n -= 2;
		else if (n > 2 && blank_len(s + n - 3) == 3)
			n -= 3;
		else
			break;
	}
	s[n] = '\0';
}

/* The command on LINE (LEN bytes, past its blanks) as written without
   the marks of emphasis around it, or NULL when LINE is no command: it
   starts with '#', or with '#' in bold, underlined or italics
   ("*#notering*", "*#tilldela* eva", "_#ta_"), which the handler wrote
   as a command all the same and which must never reach the citizen as
   text. The caller frees. */
static char *
command_line(const char *line, size_t len)
{
	char mark;
	char *c;

	if (len > 0 && line[0] == '#') {
		c = xstrndup(line, len);
		trim_end(c);
		return c;
	}
	/* the marks: Gmail and Thunderbird write "*#notering*" */
	if (len < 2 || !mime_command_start(line))
		return NULL;
	mark = line[0];
	c = xstrndup(line + 1, len - 1);
	trim_end(c);
	/* the closing mark: at the end of a word */
	for (char *q = c; *q != '\0'; q++) {
		if (*q == mark && (q[1] == '\0' || blank_len(q + 1) > 0)) {
			memmove(q, q + 1, strlen(q));
			break;
		}
	}
	return c;
}

/* Closings that open a sign-off, folded (workflow_fold). */
static const char *const closings[] = {
	"med vänlig hälsning", "med vänliga hälsningar", "vänlig hälsning",
	"vänliga hälsningar", "med bästa hälsningar", "bästa hälsningar",
	"varma hälsningar", "hälsningar", "hälsning", "mvh", "vh",
	"best regards", "kind regards", "with kind regards",
	"with best regards", "regards", "best wishes", "yours sincerely",
	"sincerely",
};

/* A sign-off is at most this: the closing line, a name, a title, a
   unit, telephone numbers, a postal and a web address, and the notice
   on personal data that many municipalities add to every mail. */
#define SIGNOFF_LINES 25
#define SIGNOFF_BYTES 2000

/* Whether LINE (LEN bytes) is a closing: one of CLOSINGS, alone or
   followed by a name ("Mvh Eva", "Med vänlig hälsning, Eva Ek"). */
static bool
closing_line(const char *line, size_t len)
{
	char *l = xstrndup(line, len), *f;
	bool found = false;

	trim_end(l);
	f = workflow_fold(l);
	for (size_t i = 0; i < N_ELEMENTS(closings) && !found; i++) {
		size_t cl = strlen(closings[i]);
		const char *rest = f + cl;

		if (strncmp(f, closings[i], cl) != 0)
			continue;
		rest += strspn(rest, ",.!");
		found = *rest == '\0' ||
			((*rest == ' ' || rest[-1] == ',') &&
			 strlen(rest) <= 40 && strpbrk(rest, ".?!:") == NULL);
	}
	free(f);
	free(l);
	return found;
}

/* The pictures of the signature in the handler's mail M, into R: Outlook
   writes "[cid:ID]" in the text where the HTML shows an inline picture,
   and a picture first marked below a sign-off's closing line ("Med
   vänlig hälsning") is the signature's, as a logo is; Thunderbird and
   Gmail mark the signature in the HTML (html_signature_pictures). */
static void
find_signature_pictures(struct reply *r, const struct mime_message *m)
{
	const char *closing = NULL;
	struct strlist l = { 0 }, marked = { 0 };

	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];

		if ((p->role == MIME_PART_BODY ||
		     p->role == MIME_PART_ALTERNATIVE) &&
		    strcmp(p->content_type, "text/html") == 0)
			html_signature_pictures((const char *)p->data, p->len,
						&marked);
	}
	for (const char *t = m->text; *t != '\0' && closing == NULL;) {
		size_t n = strcspn(t, "\n"), b = strspn(t, " \t");

		if (closing_line(t + b, n - b))
			closing = t;
		t += n + (t[n] == '\n');
	}
	for (size_t i = 0; (closing != NULL || marked.n > 0) && i < m->nparts;
	     i++) {
		const struct mime_part *p = &m->parts[i];
		char id[BLOB_ID_LEN + 1], *needle;
		const char *at = NULL;

		if (p->content_id == NULL || !mime_part_is_file(p))
			continue;
		if (closing != NULL) {
			needle = xasprintf("[cid:%s]", p->content_id);
			at = strstr(m->text, needle);
			free(needle);
		}
		if ((at == NULL || at < closing) &&
		    !strlist_has(&marked, p->content_id))
			continue;
		if (r->logo == NULL)
			r->logo = xcalloc(m->nparts, sizeof(*r->logo));
		r->logo[i] = true;
		blob_id(p->data, p->len, id);
		strlist_addf(&l, "%s%s,", l.n == 0 ? "," : "", id);
	}
	if (l.n > 0)
		r->signature_pictures = strlist_join(&l);
	strlist_clear(&l);
	strlist_clear(&marked);
}

/* Whether TEXT is only a sign-off: a closing, then a few lines. A mail
   client's automatic signature has no "-- " line to mark it. */
static bool
signoff_only(const char *text)
{
	size_t lines = 1;

	if (!closing_line(text, strcspn(text, "\n")) ||
	    strlen(text) > SIGNOFF_BYTES)
		return false;
	for (const char *p = strchr(text, '\n'); p != NULL;
	     p = strchr(p + 1, '\n'))
		lines += p[1] != '\n' && p[1] != '\0';
	return lines <= SIGNOFF_LINES;
}

/* Splits TEXT into the command lines at its top and the rest. */
static void
parse(const char *text, struct reply *r)
{
	const char *p = text != NULL ? text : "";

	for (;;) {
		const char *line = mailin_skip_blank(p);
		size_t n = strcspn(line, "\n");
		struct command c = { 0 };
		const char *w;
		size_t wl;

		if (*line == '\n' || (*line == '\r' && line[1] == '\n')) {
			p = line + strcspn(line, "\n") + 1;
			continue;
		}
		if ((c.line = command_line(line, n)) == NULL)
			break;
		w = c.line + 1;
		wl = word_len(w);
		c.word = xstrndup(w, wl);
		c.arg = xstrdup(mailin_skip_blank(w + wl));
		r->cmds = xrealloc(r->cmds, (r->ncmds + 1) * sizeof(*r->cmds));
		r->cmds[r->ncmds++] = c;
		p = line + strcspn(line, "\n");
		if (*p == '\n')
			p++;
		if (*p == '\0')
			break;
	}
	/* the rest, without blank lines around it */
	p += strspn(p, " \t\r\n");
	r->text = xstrdup(p);
	for (size_t n = strlen(r->text);
	     n > 0 && isspace((unsigned char)r->text[n - 1]);)
		r->text[--n] = '\0';
}

/* Every line of TEXT that starts with '#' into R's commands: a mail of
   commands without a case has no text for anyone, so a greeting above
   them or a signature below is no reason to miss one. */
static void
parse_all(const char *text, struct reply *r)
{
	for (const char *p = text != NULL ? text : ""; *p != '\0';) {
		const char *line = mailin_skip_blank(p);
		size_t n = strcspn(line, "\n");
		struct command c = { 0 };
		size_t wl;

		p = line + n + (line[n] == '\n');
		if ((c.line = command_line(line, n)) == NULL)
			continue;
		wl = word_len(c.line + 1);
		c.word = xstrndup(c.line + 1, wl);
		c.arg = xstrdup(mailin_skip_blank(c.line + 1 + wl));
		r->cmds = xrealloc(r->cmds, (r->ncmds + 1) * sizeof(*r->cmds));
		r->cmds[r->ncmds++] = c;
	}
	r->text = xstrdup("");
}

static void
reply_clear(struct reply *r)
{
	for (size_t i = 0; i < r->ncmds; i++) {
		free(r->cmds[i].line);
		free(r->cmds[i].word);
		free(r->cmds[i].arg);
		free(r->cmds[i].error_detail);
	}
	free(r->cmds);
	free(r->text);
	free(r->logo);
	free(r->signature_pictures);
	free(r->lang);
	free(r->address);
	free(r->stopped_number);
	caseflow_skips_clear(&r->skipped);
	free(r->shown);
	free(r->canned);
	free(r->typed);
	free(r->delimited_signature);
}

/* Logins and priorities are in small letters: "#TILLDELA EVA" is eva. */
static void
ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static bool
word_is(const char *word, const char *const *names)
{
	char *f = workflow_fold(word);
	bool found = false;

	for (size_t i = 0; names[i] != NULL && !found; i++)
		found = strcmp(f, names[i]) == 0;
	free(f);
	return found;
}

const char *
mailin_past_note(const char *text)
{
	const char *t = mailin_skip_blank(text + strspn(text, " \t\r\n"));
	size_t n = strcspn(t, "\n");
	char *c = command_line(t, n);
	bool note = c != NULL && c[0] == '#' &&
		word_is(c + 1, workflow_note_words);

	free(c);
	if (!note)
		return NULL;
	t += n + (t[n] == '\n');
	t = mailin_skip_blank(t + strspn(t, " \t\r\n"));
	/* nothing under it, or another command: not an answer alone */
	if (*t == '\0' || *t == '#' || mime_command_start(t))
		return NULL;
	return t;
}

/* The commands without a case (handler_commands), folded: the English
   word first, the Swedish second, as workflow.h's tables. */
static const char *const list_words[] = { "list", "lista", NULL },
	*const show_words[] = { "show", "visa", NULL },
	*const search_words[] = { "search", "sök", "sok", NULL },
	*const away_words[] = { "away", "borta", NULL },
	*const back_words[] = { "back", "tillbaka", NULL },
	*const *const help_words = workflow_help_words;

/* The commands without a case as their help lists them, in one table
   for #hjälp without a case, #hjälp on a case and near_caseless(). */
static const struct caseless {
	const char *const *words;
	struct text usage, help;
	bool own;	/* taken at the officer's own cirm address only */
} caseless[] = {
	{ list_words, { "#lista", "#list" },
	  { "Dina öppna ärenden", "Your open cases" }, false },
	{ show_words, { "#visa NUMMER", "#show NUMBER" },
	  { "Ett ärende med dess meddelanden",
	    "One case with its messages" }, false },
	{ search_words, { "#sök ORD", "#search WORDS" },
	  { "Ärenden vars meddelanden har alla orden",
	    "Cases whose messages have all the words" }, false },
	{ away_words, { "#borta ÅÅÅÅ-MM-DD", "#away YYYY-MM-DD" },
	  { "Borta till och med den dagen: dina ärendens aviseringar går "
	    "till ärendenas grupper", "Away up to and including that day: "
	    "your cases' notifications go to the cases' groups" }, true },
	{ back_words, { "#tillbaka", "#back" },
	  { "Tillbaka tidigare än dagen i #borta",
	    "Back earlier than the day of #away" }, true },
	{ help_words, { "#hjälp", "#help" },
	  { "Kommandona", "The commands" }, false },
};

/* Where #borta and #tillbaka are taken (handler_commands): the heading
   of their lines, with the address. */
static const struct text T_OWN_ADDRESS[2] = {
	{ "Bara på din egen cirm-adress, ", "Only at your own cirm address, " },
	{ " (svara på ett mejl från cirm utan ärende, som "
	  "sammanställningen, så går svaret dit):", " (reply to a mail "
	  "from cirm on no case, such as the digest, and the reply goes "
	  "there):" } };

/* #borta and #tillbaka on a case (elsewhere()): around the address. */
static const struct text T_OWN_ONLY[2] = {
	{ "#borta och #tillbaka tar cirm bara emot på din egen adress,",
	  "cirm takes #away and #back only at your own address," },
	{ ", så att ingen annan kan skriva dem i ditt namn. Spara den, eller "
	  "svara på ett mejl från cirm utan ärende (sammanställningen, ett "
	  "svar på #lista): svaret går dit", ", so that nobody else can "
	  "write them in your name. Save it, or reply to a mail from cirm "
	  "on no case (the digest, an answer to #list): the reply goes "
	  "there" } };

static void
caseless_lines(struct strlist *l, const char *lang, bool own)
{
	for (size_t i = 0; i < N_ELEMENTS(caseless); i++) {
		const char *u = tr(&caseless[i].usage, lang);
		size_t w = utf8_length(u);

		if (caseless[i].own != own)
			continue;
		strlist_addf(l, "  %s%*s — %s\n", u, w < 20 ? (int)(20 - w) : 0,
			     "", tr(&caseless[i].help, lang));
	}
}

/* The lines of the commands without a case, for a help to case
   officer OFFICER: those taken at the officer's own cirm address alone
   under their own heading, with the address. 0, or -1. */
static int
caseless_help(struct strlist *l, const char *lang, struct mailin *mi,
	      struct store *store, int64_t officer, char **error_r)
{
	char *own = mailin_own_address(mi, store, officer, error_r);

	if (own == NULL)
		return -1;
	caseless_lines(l, lang, false);
	strlist_addf(l, "\n%s%s%s\n\n", tr(&T_OWN_ADDRESS[0], lang), own,
		     tr(&T_OWN_ADDRESS[1], lang));
	caseless_lines(l, lang, true);
	free(own);
	return 0;
}

bool
mailin_has_caseless_command(const char *text)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *line = mailin_skip_blank(p);
		size_t n = strcspn(line, "\n");
		bool found = false;
		char *cmd = command_line(line, n);

		p = line + n + (line[n] == '\n');
		if (cmd != NULL) {
			char *w = xstrndup(cmd + 1, word_len(cmd + 1));

			for (size_t i = 0; !found && i < N_ELEMENTS(caseless);
			     i++)
				found = word_is(w, caseless[i].words);
			free(w);
			free(cmd);
		}
		if (found)
			return true;
	}
	return false;
}

bool
mailin_has_command_line(const char *text)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *line = mailin_skip_blank(p);
		size_t n = strcspn(line, "\n");
		char *cmd = command_line(line, n);
		/* a word: "#3 i listan" is no command */
		bool found = cmd != NULL && word_len(cmd + 1) > 0 &&
			!isdigit((unsigned char)cmd[1]);

		free(cmd);
		if (found)
			return true;
		p = line + n + (line[n] == '\n');
	}
	return false;
}

/* The workflow's business: refused when the workflow lacks them. */
static const char *const workflow_words[] = {
	"assign", "tilldela", "take", "ta", "close", "stäng", "stang",
	"resolve", "klar", NULL
};

/* The roles that may use C, with the handler groups they are, for a
   transcript: "rollen handlaggare (gruppen synpunkter) eller chef
   (gruppen ledning)". Caller frees. */
static char *
roles_text(const struct workflow *wf, const struct workflow_command *c,
	   const char *lang)
{
	bool en = lang != NULL && strcmp(lang, "en") == 0;
	struct strlist l = { 0 };

	strlist_add(&l, c->roles.n > 1 ? (en ? " the roles " : " rollerna ") :
		    (en ? " the role " : " rollen "));
	for (size_t i = 0; i < c->roles.n; i++) {
		const char *group = NULL;

		for (size_t j = 0; j < wf->nroles && group == NULL; j++)
			if (strcmp(wf->roles[j].id, c->roles.v[i]) == 0)
				group = wf->roles[j].group;
		strlist_addf(&l, "%s%s", i == 0 ? "" : i + 1 < c->roles.n ?
			     ", " : en ? " or " : " eller ", c->roles.v[i]);
		if (group != NULL)
			strlist_addf(&l, en ? " (group %s)" : " (gruppen %s)",
				     group);
	}
	return strlist_join(&l);
}

/* Whether S is a day (any form day_parse takes): its 16:00 into *T_R,
   and, unless DAY is NULL, the day as YYYY-MM-DD into DAY. */
static bool
valid_date(const char *s, int64_t *t_r, char *day)
{
	char buf[LOCAL_DAY_SIZE];

	if (day == NULL)
		day = buf;
	return day_parse(s, cirm_now(), day) > 0 &&
	       local_day_at(day, 0, 16, t_r);
}

/* Whether S is one word as a category is (cirm-workflow.rng): up to
   64 letters, digits, '_' and '-'; any letter beyond ASCII counts. */
static bool
one_word(const char *s)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (*p < 0x80 && !isalnum(*p) && *p != '_' && *p != '-')
			return false;
		chars += (*p & 0xc0) != 0x80;
	}
	return chars > 0 && chars <= 64;
}

/* Whether S is a name #namn takes: from one to 100 characters, none of
   them a control character. */
static bool
citizen_name_ok(const char *s)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		chars += (*p & 0xc0) != 0x80;
	}
	return chars > 0 && chars <= 100;
}

/* Whether the date YYYY-MM-DD S is before today. */
static bool
date_past(const char *s)
{
	char today[LOCAL_DAY_SIZE];

	return strcmp(s, local_day(cirm_now(), today)) < 0;
}

/* Whether WORD (without its '#') is a command cirm or the workflow WF
   knows. */
static bool
command_word(const struct workflow *wf, const char *word)
{
	return (wf != NULL && workflow_command(wf, word) != NULL) ||
	       word_is(word, workflow_note_words) ||
	       word_is(word, workflow_priority_words) ||
	       word_is(word, workflow_category_words) ||
	       word_is(word, workflow_due_words) ||
	       word_is(word, workflow_language_words) ||
	       word_is(word, workflow_name_words) ||
	       word_is(word, workflow_canned_words) ||
	       word_is(word, workflow_forward_words) ||
	       word_is(word, help_words) ||
	       word_is(word, workflow_words);
}

/* Lines of the text that are commands ("Hej!" above "#klar"): the
   handler meant them, so they are refused rather than sent to the
   citizen as text. Adds them to R's commands; returns how many. */
static int
misplaced_commands(const struct workflow *wf, struct reply *r)
{
	int n = 0;

	/* not the standard answers (#mall) put in: a line of theirs that
	   looks like a command was no slip of the handler's */
	for (const char *p = typed_text(r); *p != '\0';) {
		const char *line = mailin_skip_blank(p);
		size_t len = strcspn(line, "\n");
		struct command c = { 0 };
		char *word;

		p = line + len + (line[len] == '\n');
		if ((c.line = command_line(line, len)) == NULL)
			continue;
		word = xstrndup(c.line + 1, word_len(c.line + 1));
		if (!command_word(wf, word)) {
			free(word);
			free(c.line);
			continue;
		}
		c.word = word;
		c.arg = xstrdup("");
		c.error = tr(&T_BELOW, r->lang);
		r->cmds = xrealloc(r->cmds, (r->ncmds + 1) * sizeof(*r->cmds));
		r->cmds[r->ncmds++] = c;
		n++;
	}
	return n;
}

/* C's argument, folded, looked up among the first words of the N pairs
   of TABLE and replaced by the second: true, or false when it is none
   of them. */
static bool
map_arg(struct command *c, const char *const (*table)[2], size_t n)
{
	char *f = workflow_fold(c->arg);
	const char *value = NULL;

	for (size_t k = 0; k < n && value == NULL; k++)
		if (strcmp(table[k][0], f) == 0)
			value = table[k][1];
	free(f);
	if (value == NULL)
		return false;
	free(c->arg);
	c->arg = xstrdup(value);
	return true;
}

/* At most this many colleagues are named after an unknown login. */
#define LOGINS_SHOWN 20

struct logins_ctx {
	const struct workflow *wf;
	struct strlist l;
	size_t n;
};

/* Whether the space-separated GROUPS has NAME. */
static bool
has_group(const char *groups, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = groups; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, " ");

		if (n == len && strncmp(p, name, n) == 0)
			return true;
		p += n + (p[n] == ' ');
	}
	return false;
}

static int
login_line(const struct store_handler *h, void *ctx)
{
	struct logins_ctx *c = ctx;
	bool member = false;

	for (size_t i = 0; i < c->wf->nroles && !member; i++)
		member = c->wf->roles[i].group != NULL &&
			has_group(h->groups, c->wf->roles[i].group);
	if (!h->active || h->login == NULL || !member)
		return 0;
	if (c->n++ < LOGINS_SHOWN)
		strlist_addf(&c->l, "%s%s%s%s%s", c->n > 1 ? ", " : "",
			     h->login, h->name != NULL ? " (" : "",
			     h->name != NULL ? h->name : "",
			     h->name != NULL ? ")" : "");
	return 0;
}

/* For a login nobody has: the logins of the active handlers in the
   workflow WF's groups, whom a case officer would give a case to and
   whose logins no notification shows, on a line of their own, as
   *TEXT_R (NULL when there are none). 0, or -1. */
static int
logins_text(struct store *store, const struct workflow *wf,
	    const char *lang, char **text_r, char **error_r)
{
	struct logins_ctx c = { .wf = wf };
	bool en = lang != NULL && strcmp(lang, "en") == 0;
	char *list;

	*text_r = NULL;
	if (store_handler_list(store, login_line, &c, error_r) < 0) {
		strlist_clear(&c.l);
		return -1;
	}
	if (c.n == 0)
		return 0;
	if (c.n > LOGINS_SHOWN)
		strlist_addf(&c.l, en ? ", and %zu more" : " och %zu till",
			     c.n - LOGINS_SHOWN);
	list = strlist_join(&c.l);
	*text_r = xasprintf(en ? "\n      the workflow's case officers: %s" :
			    "\n      arbetsflödets handläggare: %s", list);
	free(list);
	return 0;
}

/* Whether part I of the handler's mail M (read into R) is a file that
   a reply sends the citizen: not Outlook's winmail.dat, nor a picture
   in the handler's signature. */
static bool
file_for_citizen(const struct reply *r, const struct mime_message *m,
		 size_t i)
{
	return mime_part_is_file(&m->parts[i]) &&
	       !mime_part_is_tnef(&m->parts[i]) &&
	       !(r->logo != NULL && r->logo[i]);
}

/* Whether M has files a reply would send the citizen. */
static bool
files_for_citizen(const struct reply *r, const struct mime_message *m)
{
	for (size_t i = 0; i < m->nparts; i++)
		if (file_for_citizen(r, m, i))
			return true;
	return false;
}

/* How close WORD (workflow_fold_near'ed) comes to one of WORDS (as
   written, the first the one shown): the distance, and in *BEST_R the
   word, the first of the closest. Past MAX, MAX + 1. */
static size_t
near_words(const char *word, const char *const *words, size_t nwords,
	   size_t max, const char **best_r)
{
	size_t best = max + 1;

	for (size_t i = 0; i < nwords; i++) {
		char *f = workflow_fold_near(words[i]);
		size_t d = edit_distance(word, f, max);

		free(f);
		if (d < best) {
			best = d;
			*best_r = words[i];
		}
	}
	return best;
}

/* A search for the command an unknown word was meant as: the word
   workflow_fold_near'ed, how far off a command may be, the closest so far. */
struct near {
	char *word;
	size_t max, best;
	const char *found;
	bool tie;
};

/* Starts N for WORD: a letter off (two in a word of six or more). */
static void
near_init(struct near *n, const char *word)
{
	n->word = workflow_fold_near(word);
	n->max = strlen(n->word) >= 6 ? 2 : 1;
	n->best = n->max + 1;
	n->found = NULL;
	n->tie = false;
}

/* Weighs one command's WORDS (the first the one shown). */
static void
near_add(struct near *n, const char *const *words, size_t nwords)
{
	const char *m = NULL;
	size_t d = near_words(n->word, words, nwords, n->max, &m);

	n->tie = d == n->best ? true : d < n->best ? false : n->tie;
	if (d < n->best) {
		n->best = d;
		n->found = m;
	}
}

/* Weighs one of cirm's own commands, its words T (NULL-terminated, the
   English word first and the Swedish second, as workflow.h has them),
   showing the handler's language's (English when EN). */
static void
near_add_own(struct near *n, const char *const *t, bool en)
{
	const char *words[8];
	size_t k = 0;

	words[k++] = t[en ? 0 : 1];
	words[k++] = t[en ? 1 : 0];
	for (size_t j = 2; t[j] != NULL && k < N_ELEMENTS(words); j++)
		words[k++] = t[j];
	near_add(n, words, k);
}

/* The command N found, or NULL when none is that close or two are
   equally close: a guess between them would mislead. Ends N. */
static const char *
near_end(struct near *n)
{
	free(n->word);
	n->word = NULL;
	return n->best <= n->max && !n->tie ? n->found : NULL;
}

/* The command an unknown WORD was probably meant as, as the handler
   LANG would write it: one of WF's (which may be NULL) or cirm's own,
   a letter off (two in a word of six or more) once case and Swedish
   letters are folded, or the same with a colon after it ("#Ta:").
   NULL when none is that close, or when two commands are equally
   close. */
static const char *
near_command(const struct workflow *wf, const char *word, const char *lang)
{
	static const char *const *const own[] = {
		workflow_note_words, workflow_priority_words,
		workflow_category_words, workflow_due_words,
		workflow_language_words, workflow_canned_words,
		workflow_forward_words, help_words, workflow_name_words,
	};
	bool en = lang != NULL && strcmp(lang, "en") == 0;
	struct near n;

	near_init(&n, word);
	for (size_t i = 0; wf != NULL && i < wf->ncommands; i++) {
		const struct workflow_command *c = &wf->commands[i];
		const char *words[1 + 16], *shown = c->word;
		size_t k = 0;

		for (size_t j = 0; j < c->ntr; j++)
			if (strcmp(c->tr[j].lang, en ? "en" : "sv") == 0 &&
			    c->tr[j].word != NULL)
				shown = c->tr[j].word;
		words[k++] = shown;
		if (shown != c->word)
			words[k++] = c->word;
		for (size_t j = 0; j < c->aliases.n && k < N_ELEMENTS(words);
		     j++)
			words[k++] = c->aliases.v[j];
		near_add(&n, words, k);
	}
	for (size_t i = 0; i < N_ELEMENTS(own); i++)
		/* a workflow that declares the word has it as its own */
		if (wf == NULL || workflow_command(wf, own[i][1]) == NULL)
			near_add_own(&n, own[i], en);
	return near_end(&n);
}

const char *
mailin_near_command(const struct workflow *wf, const char *word,
		    const char *lang)
{
	return near_command(wf, word, lang);
}

/* The command without a case (#lista, #visa, #sök, #hjälp) an unknown
   WORD in a mail to the command address was probably meant as, as
   near_command() finds one, or NULL. */
static const char *
near_caseless(const char *word, const char *lang)
{
	bool en = lang != NULL && strcmp(lang, "en") == 0;
	struct near n;

	near_init(&n, word);
	for (size_t i = 0; i < N_ELEMENTS(caseless); i++)
		near_add_own(&n, caseless[i].words, en);
	return near_end(&n);
}

/* A case number as a case officer may shorten it, without the zeros
   ("KS-2026-42", perhaps in brackets): in full ("KS-2026-00042"), or
   NULL when ARG is no such thing. */
static char *
full_number(const char *prefix, const char *arg)
{
	size_t plen = strlen(prefix), n;
	const char *y, *d;

	arg += strspn(arg, " \t[");
	if (strncasecmp(arg, prefix, plen) != 0 || arg[plen] != '-')
		return NULL;
	y = arg + plen + 1;
	if (strspn(y, "0123456789") != 4 || y[4] != '-')
		return NULL;
	d = y + 5;
	n = strspn(d, "0123456789");
	if (n == 0 || n > 5 || d[n + strspn(d + n, " \t]")] != '\0')
		return NULL;
	return xasprintf("%s-%.4s-%05ld", prefix, y, strtol(d, NULL, 10));
}

/* The case number ARG names, as copied from a subject, in its brackets
   ("[KS-2026-00042]"), or shortened ("KS-2026-42"): in full, or NULL. */
static char *
number_arg(const char *prefix, const char *arg)
{
	char *number = mailin_find_number(prefix, arg);

	return number != NULL ? number : full_number(prefix, arg);
}

/* The case a command with argument="case" (#slå-ihop NUMBER) merges V's
   case into: another open case of the same citizen, which the handler
   may read. Sets C's merge_into and writes its argument in full, or
   sets its error. 0, or -1. */
static int
merge_target(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, const struct reply *r,
	     struct command *c, char **error_r)
{
	struct store_case_flow here = { 0 }, kept = { 0 };
	char *number = number_arg(mi->prefix, c->arg);
	char merged[STORE_CASE_NUMBER_MAX];
	int64_t id = 0;
	int rc = number != NULL ? store_case_id(store, number, &id, error_r) :
		0;

	if (number == NULL)
		c->error = tr(&T_NEEDS_CASE, r->lang);
	else if (rc == 0)
		c->error = tr(&T_NO_CASE, r->lang);
	else if (rc > 0 && id == v->case_id)
		c->error = tr(&T_SAME_CASE, r->lang);
	else if (rc > 0 && (rc = mailin_handler_may_read(mi, store,
							 v->handler_id, id,
							 error_r)) == 0)
		c->error = tr(&T_CASE_UNREADABLE, r->lang);
	else if (rc > 0 &&
		 (rc = store_case_flow_get(store, id, &kept, error_r)) > 0 &&
		 (rc = store_case_flow_get(store, v->case_id, &here,
					   error_r)) > 0) {
		if (kept.citizen_id == 0 || here.citizen_id == 0) {
			c->error = tr(&T_NO_CITIZEN, r->lang);
		} else if (kept.citizen_id != here.citizen_id) {
			c->error = tr(&T_OTHER_CITIZEN, r->lang);
		} else if (kept.closed_at != 0) {
			c->error = tr(&T_KEPT_CLOSED, r->lang);
			if (kept.merged_into != 0 &&
			    (rc = store_case_get_number(store, kept.merged_into,
							merged, error_r)) > 0)
				c->error_detail = xasprintf(
					"%s %s", tr(&T_MERGED, r->lang),
					merged);
		} else {
			c->merge_into = id;
			free(c->arg);
			c->arg = number;
			number = NULL;
		}
	}
	store_case_flow_clear(&here);
	store_case_flow_clear(&kept);
	free(number);
	return rc < 0 ? -1 : 0;
}

/* --- standard answers (#mall NAME) ----------------------------------- */

/* #språk: the languages cirm writes in, as a handler may name them */
static const char *const language_words[][2] = {
	{ "sv", "sv" }, { "svenska", "sv" }, { "swedish", "sv" },
	{ "en", "en" }, { "engelska", "en" }, { "english", "en" },
};

/* The language #språk ARG names, or NULL. */
static const char *
language_arg(const char *arg)
{
	char *f = workflow_fold(arg + strspn(arg, " \t"));
	const char *l = NULL;

	trim_end(f);
	for (size_t k = 0; k < N_ELEMENTS(language_words) && l == NULL; k++)
		if (strcmp(language_words[k][0], f) == 0)
			l = language_words[k][1];
	free(f);
	return l;
}

/* The largest standard answer: a letter, not a brochure. */
#define CANNED_MAX 16384

/* NAME (folded) with å and ä as a, ö as o: "öppettider" and
   "oppettider" name the same standard answer. Caller frees. */
static char *
canned_key(const char *name)
{
	char *k = xstrdup(name), *o = k;

	for (const char *p = name; *p != '\0'; p++) {
		if (p[0] == '\xc3' && (p[1] == '\xa5' || p[1] == '\xa4')) {
			*o++ = 'a';
			p++;
		} else if (p[0] == '\xc3' && p[1] == '\xb6') {
			*o++ = 'o';
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return k;
}

/* The file name of the standard answer the handler wrote as NAME
   (folded) among NAMES: NAME itself, or the one that is the same but
   for å, ä and ö. NULL when none is. */
static const char *
canned_file(const struct strlist *names, const char *name)
{
	char *key = canned_key(name);
	const char *found = NULL;

	for (size_t i = 0; i < names->n && found == NULL; i++)
		if (strcmp(names->v[i], name) == 0)
			found = names->v[i];
	for (size_t i = 0; i < names->n && found == NULL; i++) {
		char *f = workflow_fold(names->v[i]), *k = canned_key(f);

		if (strcmp(k, key) == 0)
			found = names->v[i];
		free(k);
		free(f);
	}
	free(key);
	return found;
}

/* Standard answer NAME in LANG, read now (an edited file counts at
   once), trimmed: 1 with *TEXT_R (caller frees), 0 when there is none,
   -1 when its file cannot be used (too large, not UTF-8, unreadable),
   which is logged for the administrator. */
static int
canned_text(const struct mailin *mi, const char *lang, const char *name,
	    char **text_r)
{
	char *path = xasprintf("%s/%s/answers/%s", mi->template_dir, lang,
			       name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	size_t len = 0;
	char *text = NULL;
	struct stat st;
	int line = 0;

	*text_r = NULL;
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		free(path);
		return 0;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		text = read_upto(fd, CANNED_MAX + 1, &len);
	if (fd >= 0)
		close(fd);
	if (text == NULL || len > CANNED_MAX || strlen(text) != len ||
	    (line = utf8_bad_line(text)) != 0 ||
	    text[strspn(text, " \t\r\n")] == '\0') {
		log_warnx("%s: %s", path, text == NULL ? "cannot be read, or "
			  "not a file" : len > CANNED_MAX ? "over 16 KiB, too "
			  "large for a standard answer" : strlen(text) != len ?
			  "has a NUL byte" : line != 0 ? "not UTF-8" :
			  "empty");
		free(text);
		free(path);
		return -1;
	}
	free(path);
	trim_end(text);
	/* from its first line with a letter on */
	memmove(text, text + strspn(text, " \t\r\n"),
		strlen(text + strspn(text, " \t\r\n")) + 1);
	*text_r = text;
	return 1;
}

/* The language the case's citizen reads (what a standard answer must be
   in): theirs, or cirm's default. Caller frees; NULL on an error. */
static char *
citizen_language(struct mailin *mi, struct store *store, int64_t case_id,
		 char **error_r)
{
	struct store_case_flow f = { 0 };
	char *kind = NULL, *lang = NULL;
	int rc = store_case_flow_get(store, case_id, &f, error_r);

	if (rc > 0 && f.citizen_id != 0)
		rc = store_contact_kind(store, f.citizen_id, &kind, &lang,
					error_r);
	store_case_flow_clear(&f);
	free(kind);
	if (rc < 0) {
		free(lang);
		return NULL;
	}
	if (lang == NULL || (strcmp(lang, "sv") != 0 && strcmp(lang, "en") != 0)) {
		free(lang);
		lang = xstrdup(mi->language != NULL ? mi->language : "sv");
	}
	return lang;
}

/* TEXT with ADD put in above its closing ("Med vänlig hälsning, Eva"),
   or after it when it has none; a blank line between. */
static char *
insert_above_signoff(const char *text, const char *add)
{
	const char *signoff = NULL;
	size_t n = text[0] != '\0' ? reply_split_signoff(text, &signoff) : 0;

	return xasprintf("%.*s%s%s%s%s", (int)n, text, n > 0 ? "\n\n" : "",
			 add, signoff != NULL ? "\n\n" : "",
			 signoff != NULL ? signoff : "");
}

/* The #mall lines of R (unless the workflow has the word itself): each
   standard answer, in the citizen's language, goes into the text to the
   citizen above the handler's closing, in the order written. A name
   that is missing or bad refuses the line, naming those there are.
   Before the other lines are judged: a standard answer is the text a
   #fråga needs. 0, or -1 on a database error. */
static int
put_canned(struct mailin *mi, struct store *store,
	   const struct mailin_verdict *v, const struct workflow *wf,
	   struct reply *r, char **error_r)
{
	struct strlist texts = { 0 };
	char *lang = NULL;
	bool note = false, bad = false;

	for (size_t i = 0; i < r->ncmds; i++) {
		const struct command *c = &r->cmds[i];
		const char *l;

		note |= word_is(c->word, workflow_note_words) ||
			(word_is(c->word, workflow_forward_words) &&
			 (wf == NULL || workflow_command(wf, c->word) ==
			  NULL));
		/* "#språk en" in the same reply: the answer in English */
		if (word_is(c->word, workflow_language_words) &&
		    (wf == NULL || workflow_command(wf, c->word) == NULL) &&
		    (l = language_arg(c->arg)) != NULL) {
			free(lang);
			lang = xstrdup(l);
		}
	}
	for (size_t i = 0; i < r->ncmds; i++) {
		struct command *c = &r->cmds[i];
		struct strlist names = { 0 };
		const char *file;
		char *name, *text = NULL;
		int rc;

		if (!word_is(c->word, workflow_canned_words) ||
		    (wf != NULL && workflow_command(wf, c->word) != NULL))
			continue;
		c->kind = CMD_CANNED;
		if (note) {
			c->error = tr(&T_CANNED_NOTE, r->lang);
			bad = true;
			continue;
		}
		name = workflow_fold(c->arg + strspn(c->arg, " \t"));
		trim_end(name);
		/* "#mall öppettider." as a sentence ends */
		for (size_t n = strlen(name);
		     n > 0 && strchr(".,;:!?", name[n - 1]) != NULL; n--)
			name[n - 1] = '\0';
		if (strpbrk(name, " \t") != NULL) {
			c->error = tr(&T_CANNED_ONE, r->lang);
			bad = true;
			free(name);
			continue;
		}
		if (lang == NULL &&
		    (lang = citizen_language(mi, store, v->case_id,
					     error_r)) == NULL) {
			free(name);
			strlist_clear(&texts);
			return -1;
		}
		template_answers(mi->template_dir, lang, &names);
		file = template_answer_name(name) ? canned_file(&names, name) :
			NULL;
		rc = file != NULL ? canned_text(mi, lang, file, &text) : 0;
		if (rc > 0) {
			strlist_add(&texts, text);
		} else {
			bool en = r->lang != NULL && strcmp(r->lang, "en") == 0;

			bad = true;
			c->error = tr(name[0] == '\0' ? &T_CANNED_NAME :
				      rc < 0 ? &T_CANNED_BAD : &T_NO_CANNED,
				      r->lang);
			if (name[0] != '\0' && rc == 0 && names.n > 0) {
				char *list = strlist_join_sep(&names, ", ");

				c->error_detail = xasprintf(
					en ? " in %s; there are: %s" :
					" på %s; det finns: %s",
					strcmp(lang, "en") == 0 ?
					(en ? "English" : "engelska") :
					(en ? "Swedish" : "svenska"), list);
				free(list);
			} else if (name[0] != '\0' && rc == 0) {
				c->error_detail = xstrdup(
					strcmp(lang, "en") == 0 ?
					(en ? " in English; there are none" :
					 " på engelska; det finns inga") :
					(en ? " in Swedish; there are none" :
					 " på svenska; det finns inga"));
			}
		}
		strlist_clear(&names);
		free(text);
		free(name);
	}
	free(lang);
	if (!bad && texts.n > 0) {
		/* r->shown, made later from the text between quotes, gets
		   them in answers_in_context() */
		r->canned = strlist_join_sep(&texts, "\n\n");
		r->typed = r->text;
		r->text = insert_above_signoff(r->typed, r->canned);
	}
	strlist_clear(&texts);
	return 0;
}

/* #vidarebefordra's argument in C: a mail address ("<a@b.se>" as
   written in a mail client too), kept in C->arg with its domain in small
   letters and ASCII. 1, 0 when it is none, -1 when it is the case
   address (or a tagged form of it). */
static int
forward_address(const struct mailin *mi, struct command *c)
{
	char *a = c->arg + strspn(c->arg, " \t"), *end, *ascii, *at;
	bool angle;
	size_t n;

	/* "Sanering AB <info@sanering.example>", as a mail client writes
	   it: the address in the brackets */
	if (strchr(a, '<') != NULL && strchr(a, '>') != NULL &&
	    strchr(a, ',') == NULL)
		a = strchr(a, '<');
	if (strncasecmp(a, "mailto:", 7) == 0)
		a += 7;
	angle = *a == '<';
	a += angle;
	n = strcspn(a, " \t<>");
	end = a + n;
	if (angle && *end++ != '>')
		return 0;
	/* one address, nothing after it */
	if (n == 0 || end[strspn(end, " \t")] != '\0')
		return 0;
	a = xstrndup(a, n);
	ascii = mailout_address_ascii(a);
	free(a);
	if (ascii == NULL || !mailout_address_ok(ascii) ||
	    (at = strrchr(ascii, '@')) == NULL || at == ascii ||
	    strchr(at, '.') == NULL || at[strlen(at) - 1] == '.') {
		free(ascii);
		return 0;
	}
	for (char *p = at; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	free(c->arg);
	c->arg = ascii;
	return mi->address != NULL && mailin_from_ourselves(mi, ascii) ? -1 :
		1;
}

/* Whether WORD is a command without a case: 1 taken at the officer's
   own address alone (#borta), 0 at the plain case address, -1 none. */
static int
caseless_own(const char *word)
{
	for (size_t i = 0; i < N_ELEMENTS(caseless); i++) {
		if (caseless[i].words != help_words &&
		    word_is(word, caseless[i].words))
			return caseless[i].own;
	}
	return -1;
}

/* C, a command without a case in a reply on a case, is refused with
   the address it is taken at, as the plain address refuses #borta
   (handler_commands). 0, or -1. */
static int
elsewhere(struct mailin *mi, struct store *store,
	  const struct mailin_verdict *v, struct command *c,
	  const char *lang, char **error_r)
{
	char *own;

	if (caseless_own(c->word) == 0) {
		c->error = tr(&T_CASE_ADDRESS, lang);
		if (mi->address != NULL)
			c->error_detail = xasprintf(", %s", mi->address);
		return 0;
	}
	if ((own = mailin_own_address(mi, store, v->handler_id,
				      error_r)) == NULL)
		return -1;
	c->error = tr(&T_OWN_ONLY[0], lang);
	c->error_detail = xasprintf(" %s%s", own, tr(&T_OWN_ONLY[1], lang));
	free(own);
	return 0;
}

/* Decides, for every line, whether it can be carried out now. Returns
   how many cannot, or -1 on a database error. */
static int
check_commands(struct mailin *mi, struct store *store,
	       const struct mailin_verdict *v, const struct workflow *wf,
	       struct reply *r, char **error_r)
{
	int bad = 0;
	bool needs_no_text = false, needs_text = false, sig_only;

	if (put_canned(mi, store, v, wf, r, error_r) < 0)
		return -1;
	for (size_t i = 0; i < r->ncmds; i++) {
		struct command *c = &r->cmds[i];
		int64_t id, t;
		int rc;

		c->wc = wf != NULL ? workflow_command(wf, c->word) : NULL;
		if (c->kind == CMD_CANNED) {
			/* judged by put_canned() */
		} else if (c->wc != NULL) {
			const struct workflow_command *w = c->wc;

			c->kind = CMD_WORKFLOW;
			rc = caseflow_role_ok(store, wf, w, v->handler_id,
					      error_r);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				c->error = tr(&T_ROLE, r->lang);
				c->error_detail = roles_text(wf, w, r->lang);
			} else if ((rc = caseflow_handles(mi->flow, store,
							  v->case_id, w->event,
							  error_r)) <= 0) {
				if (rc < 0)
					return -1;
				c->error = tr(&T_NOT_NOW, r->lang);
			} else if (w->text == WORKFLOW_TEXT_REQUIRED &&
				   r->sms_stopped) {
				c->error = tr(&T_TEXT_STOPPED, r->lang);
				if (r->stopped_number != NULL)
					c->error_detail = xasprintf(
						". %s%s",
						tr(&T_STOPPED_NUMBER, r->lang),
						r->stopped_number);
			} else if (w->argument == WORKFLOW_ARG_HANDLER) {
				int active = 0;

				ascii_lower(c->arg);
				if (c->arg[0] == '\0')
					c->error = tr(&T_NEEDS_LOGIN, r->lang);
				else if ((rc = store_handler_find(
						  store, c->arg, &id, &active,
						  error_r)) <= 0) {
					if (rc < 0)
						return -1;
					c->error = tr(&T_NO_HANDLER, r->lang);
					if (logins_text(store, wf, r->lang,
							&c->error_detail,
							error_r) < 0)
						return -1;
				} else if (!active) {
					c->error = tr(&T_HANDLER_OFF, r->lang);
				} else if ((rc = store_handler_away(
						    store, id, &t,
						    error_r)) != 0) {
					char last[LOCAL_DAY_SIZE];

					if (rc < 0)
						return -1;
					c->error = tr(&T_HANDLER_AWAY,
						      r->lang);
					c->error_detail = xasprintf(
						" %s", local_day(t - 1, last));
				}
			} else if (w->argument == WORKFLOW_ARG_WORD) {
				if (!one_word(c->arg))
					c->error = tr(&T_NEEDS_WORD, r->lang);
			} else if (w->argument == WORKFLOW_ARG_CASE) {
				if (merge_target(mi, store, v, r, c,
						 error_r) < 0)
					return -1;
			} else if (c->arg[0] != '\0') {
				c->error = tr(&T_NO_ARG, r->lang);
			}
			needs_no_text |= w->text == WORKFLOW_TEXT_NONE;
			needs_text |= w->text == WORKFLOW_TEXT_REQUIRED;
		} else if (word_is(c->word, workflow_note_words)) {
			c->kind = CMD_NOTE;
			r->note = true;
			if (c->arg[0] != '\0')
				c->error = tr(&T_NO_ARG, r->lang);
			else if (r->text[0] == '\0')
				/* an empty note records nothing */
				c->error = tr(&T_NEEDS_TEXT, r->lang);
		} else if (word_is(c->word, workflow_forward_words)) {
			c->kind = CMD_FORWARD;
			/* the text is the recipient's: kept as a note */
			r->note = r->forward = true;
			if ((rc = forward_address(mi, c)) <= 0) {
				c->error = tr(rc < 0 ? &T_FORWARD_OWN :
					      strpbrk(c->arg, ",;") != NULL ?
					      &T_FORWARD_ONE :
					      &T_FORWARD_ADDRESS, r->lang);
			} else {
				/* a colleague: a case officer's mail to a
				   forward's address is not taken as an
				   answer (decide()) */
				bool handler = false, active = false;

				if (store_contact_find_full(store, "email",
							    c->arg, &id,
							    &handler, &active,
							    error_r) < 0)
					return -1;
				if (handler)
					c->error = tr(&T_FORWARD_HANDLER,
						      r->lang);
			}
		} else if (word_is(c->word, workflow_priority_words)) {
			/* the Swedish words too, for #prioritet hög; the
			   case keeps the English value the workflows'
			   priority() conditions name */
			static const char *const p[][2] = {
				{ "low", "low" }, { "låg", "low" },
				{ "lag", "low" }, { "normal", "normal" },
				{ "high", "high" }, { "hög", "high" },
				{ "hog", "high" }, { "urgent", "urgent" },
				{ "brådskande", "urgent" },
				{ "bradskande", "urgent" },
			};

			c->kind = CMD_PRIORITY;
			if (!map_arg(c, p, N_ELEMENTS(p)))
				c->error = tr(&T_PRIORITY, r->lang);
		} else if (word_is(c->word, workflow_category_words)) {
			c->kind = CMD_CATEGORY;
			if (!one_word(c->arg))
				c->error = tr(&T_NEEDS_WORD, r->lang);
		} else if (word_is(c->word, workflow_due_words)) {
			char day[LOCAL_DAY_SIZE];

			c->kind = CMD_DUE;
			if (!valid_date(c->arg, &t, day)) {
				c->error = tr(day_parse(c->arg, cirm_now(),
							day) < 0 ?
					      &T_NO_SUCH_DAY : &T_DUE,
					      r->lang);
			} else {
				/* "20/12" as history and #visa show it */
				free(c->arg);
				c->arg = xstrdup(day);
				if (date_past(c->arg))
					c->error = tr(&T_DUE_PAST, r->lang);
			}
		} else if (word_is(c->word, workflow_language_words)) {
			c->kind = CMD_LANGUAGE;
			if (!map_arg(c, language_words,
				     N_ELEMENTS(language_words)))
				c->error = tr(&T_LANGUAGE, r->lang);
		} else if (word_is(c->word, workflow_name_words)) {
			c->kind = CMD_NAME;
			if (!citizen_name_ok(c->arg))
				c->error = tr(&T_NAME, r->lang);
		} else if (word_is(c->word, help_words)) {
			/* answered by mail after the reply is carried out */
			c->kind = CMD_HELP;
			needs_no_text = true;
			if (c->arg[0] != '\0')
				c->error = tr(&T_NO_ARG, r->lang);
		} else if (word_is(c->word, workflow_words)) {
			c->error = tr(&T_NOT_HERE, r->lang);
		} else if (caseless_own(c->word) >= 0) {
			/* meant for another address: say which */
			if (elsewhere(mi, store, v, c, r->lang, error_r) < 0)
				return -1;
		} else {
			/* "# notering": the word after the blank */
			char *w = c->word[0] == '\0' ?
				xstrndup(c->arg, word_len(c->arg)) : NULL;
			const char *near = near_command(wf, w != NULL ? w :
							c->word, r->lang);

			const struct workflow *cur = wf != NULL ?
				caseflow_current(mi->flow, wf->id) : NULL;

			free(w);
			c->error = tr(&T_UNKNOWN, r->lang);
			if (cur != NULL && cur->version != wf->version &&
			    workflow_command(cur, c->word) != NULL)
				/* not a slip: the workflow changed since
				   the case started, and the case did not */
				c->error_detail = xasprintf(
					"%s (%d)%s %d%s",
					tr(&T_NEWER_ONLY[0], r->lang),
					wf->version,
					tr(&T_NEWER_ONLY[1], r->lang),
					cur->version,
					tr(&T_NEWER_ONLY_END, r->lang));
			else if (near != NULL)
				c->error_detail = xasprintf(". %s #%s?",
							    tr(&T_MEANT,
							       r->lang), near);
		}
		/* a closed case runs no workflow command, whatever the word,
		   and has no priority or deadline left to change; its
		   category (for the statistics) and notes may still be set */
		if (r->closed && (c->kind == CMD_WORKFLOW ||
				  c->kind == CMD_PRIORITY ||
				  c->kind == CMD_DUE ||
				  c->kind == CMD_FORWARD)) {
			c->error = tr(&T_CLOSED, r->lang);
			/* where its work goes on */
			free(c->error_detail);
			c->error_detail = r->merged[0] == '\0' ? NULL :
				xasprintf("%s %s", tr(&T_MERGED, r->lang),
					  r->merged);
		}
		bad += c->error != NULL;
	}
	bad += misplaced_commands(wf, r);
	/* "#tilldela olle" or "#ta" above the signature the handler's
	   mail client adds to every reply: the signature alone is no
	   answer for the citizen, nor a question; it is kept on the case,
	   for colleagues, and is not refused. With files for the citizen
	   it goes along with them, as before. */
	sig_only = !r->note && r->ncmds > 0 && r->text[0] != '\0' &&
		signoff_only(r->text) &&
		(needs_no_text || !files_for_citizen(r, v->msg));
	/* a text to the citizen that a command forbids, or misses */
	if (sig_only && !needs_text) {
		r->note = true;
		r->signature = true;
	} else if (!r->note && r->text[0] != '\0' && needs_no_text) {
		for (size_t i = 0; i < r->ncmds; i++) {
			struct command *c = &r->cmds[i];

			if (c->error == NULL && (c->kind == CMD_HELP ||
						 (c->wc != NULL &&
						  c->wc->text ==
						  WORKFLOW_TEXT_NONE))) {
				c->error = tr(&T_NO_TEXT, r->lang);
				bad++;
			}
		}
	}
	/* a note's text is for colleagues: none for the citizen */
	if (needs_text && (r->text[0] == '\0' || sig_only || r->note)) {
		for (size_t i = 0; i < r->ncmds; i++) {
			struct command *c = &r->cmds[i];

			if (c->error == NULL && c->wc != NULL &&
			    c->wc->text == WORKFLOW_TEXT_REQUIRED) {
				c->error = tr(r->forward && r->text[0] != '\0' ?
					      &T_FORWARD_CITIZEN :
					      r->note && r->text[0] != '\0' ?
					      &T_NOTE_TEXT : &T_NEEDS_TEXT,
					      r->lang);
				bad++;
			}
		}
	}
	/* nothing to send the recipient but the citizen's words */
	for (size_t i = 0; r->forward && r->text[0] == '\0' && i < r->ncmds;
	     i++) {
		struct command *c = &r->cmds[i];

		if (c->kind == CMD_FORWARD && c->error == NULL) {
			c->error = tr(&T_FORWARD_TEXT, r->lang);
			bad++;
		}
	}
	return bad;
}

/* A mail to the case officer OFFICER on V's case (when there is one),
   with a Reply-To signed for OFFICER on it (on no case, OFFICER's own
   address: mailin_own_address). A REPLY to the handler's
   mail (a transcript, an answer to #list...) is threaded to it. */
static int mail_officer_files(struct mailin *mi, struct store *store,
			      const struct mailin_verdict *v, int64_t officer,
			      bool reply, const char *address,
			      const char *subject, const char *body,
			      int64_t files_of, char **error_r);

static int
mail_officer(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, int64_t officer, bool reply,
	     const char *address, const char *subject, const char *body,
	     char **error_r)
{
	return mail_officer_files(mi, store, v, officer, reply, address,
				  subject, body, 0, error_r);
}

/* mail_officer with the files of message FILES_OF (0: none) attached:
   then the mail is a message on the case, as a notification is, whose
   files the outbox sends along. */
static int
mail_officer_files(struct mailin *mi, struct store *store,
		   const struct mailin_verdict *v, int64_t officer, bool reply,
		   const char *address, const char *subject, const char *body,
		   int64_t files_of, char **error_r)
{
	/* on no case, the officer's own address, where commands such as
	   #borta are taken */
	char *reply_to = v->case_id != 0 ?
		token_address(mi->key, mi->address, v->case_number,
			      officer) : officer > 0 ?
		mailin_own_address(mi, store, officer, error_r) : NULL;
	const char *at = mi->address != NULL ? strrchr(mi->address, '@') :
		NULL;

	if (reply_to == NULL && v->case_id == 0 && officer > 0)
		return -1;
	/* threaded under the handler's mail, and so under the notification
	   it answered; else with the case's notifications, which all name
	   one Message-ID no mail has */
	char *thread = reply ? mailin_thread_headers(v) :
		v->case_id != 0 ? xasprintf("References: <%s.case%s>\n",
					    v->case_number, at != NULL ? at :
					    "@cirm.invalid") : NULL;
	char *headers = xasprintf("From: %s <%s>\n%s%s%sAuto-Submitted: "
				  "%s\n%s", mi->name, mi->address,
				  reply_to != NULL ? "Reply-To: " : "",
				  reply_to != NULL ? reply_to : "",
				  reply_to != NULL ? "\n" : "",
				  reply ? "auto-replied" : "auto-generated",
				  thread != NULL ? thread : "");
	/* composed here, of lines as long as their parts: read in a mail
	   client, at the width of the templates' mail */
	char *text = text_wrap(body, 72);
	struct store_outbox_new o = {
		.case_id = v->case_id, .channel = "email", .recipient = address,
		.subject = subject, .headers = headers, .body = text,
		.at = cirm_now(),
	};
	int ret = 0;

	if (files_of != 0 && v->case_id != 0) {
		struct store_message_new m = {
			.direction = "out", .channel = "email",
			.visibility = "internal", .subject = subject,
			.body_stripped = text, .at = o.at,
		};

		ret = store_message_add(store, v->case_id, &m, &o.message_id,
					error_r) < 0 ||
			store_attachments_copy(store, files_of, o.message_id,
					       NULL, error_r) < 0 ? -1 : 0;
		o.body = NULL;
		o.body_in_message = true;
	}
	if (ret == 0)
		ret = store_outbox_add(store, &o, NULL, error_r);
	free(text);
	free(headers);
	free(thread);
	free(reply_to);
	return ret;
}

/* A mail to the handler (a transcript, an answer to #list...), threaded
   to the handler's own mail, with a Reply-To signed for the handler on
   the case when there is one. */
static int
mail_handler(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, const char *address,
	     const char *subject, const char *body, char **error_r)
{
	return mail_officer(mi, store, v, v->handler_id, true, address,
			    subject, body, error_r);
}

/* mail_handler for a notice on the case: the subject is TITLE with the
   case tag. */
static int
mail_handler_on_case(struct mailin *mi, struct store *store,
		     const struct mailin_verdict *v, const char *address,
		     const char *title, const char *body, char **error_r)
{
	char *subject = xasprintf("%s [%s]", title, v->case_number);
	int ret = mail_handler(mi, store, v, address, subject, body, error_r);

	free(subject);
	return ret;
}

/* Whether C was refused for the case's state: the handler may have
   answered a notification the case has moved on from. */
static bool
refused_for_state(const struct command *c)
{
	static const struct text *const t[] = { &T_NOT_NOW, &T_CLOSED };

	for (size_t i = 0; i < N_ELEMENTS(t); i++)
		if (c->error == t[i]->sv || c->error == t[i]->en)
			return true;
	return false;
}

struct case_now {
	char *state;
	struct mailin *mi;
	struct store *store;
};

static int
case_now(const struct store_case *c, void *ctx)
{
	struct case_now *n = ctx;
	const char *label = caseflow_state_label(n->mi->flow, n->store,
						 c->workflow,
						 c->workflow_version, c->state);

	n->state = xstrdup(label != NULL ? label : "-");
	return 0;
}

/* Where the case stands now, and the commands that apply, for a
   transcript: the notification answered may be an old one. The case
   officer goes by her name, as handlers know her (her login when she
   has none). */
static int
add_case_now(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, bool en, struct strlist *l,
	     char **error_r)
{
	struct case_now n = { .mi = mi, .store = store };
	struct store_case_flow f = { 0 };
	char *help = NULL;
	const char *assignee;
	int rc = store_case_get(store, v->case_number, case_now, &n, error_r);

	if (rc > 0)
		rc = store_case_flow_get(store, v->case_id, &f, error_r);
	if (rc > 0)
		rc = caseflow_commands_now(mi->flow, store, v->case_id,
					   v->handler_id, en, &help, error_r);
	assignee = f.assignee_name;
	if (rc >= 0 && n.state != NULL && help != NULL) {
		if (en)
			strlist_addf(l, "\nThe case may have changed since the "
				     "notification you answered: it is now in "
				     "the state %s, %s%s%s. Commands that "
				     "apply now:\n\n%s", n.state,
				     assignee != NULL ? "with " :
				     "with no case officer",
				     assignee != NULL ? assignee : "",
				     assignee != NULL ? " as case officer" :
				     "", help);
		else
			strlist_addf(l, "\nÄrendet kan ha ändrats sedan "
				     "aviseringen du svarade på: det är nu i "
				     "läget %s, %s%s%s. Kommandon som gäller "
				     "nu:\n\n%s", n.state,
				     assignee != NULL ? "med " :
				     "utan handläggare",
				     assignee != NULL ? assignee : "",
				     assignee != NULL ? " som handläggare" :
				     "", help);
	}
	free(help);
	free(n.state);
	store_case_flow_clear(&f);
	return rc < 0 ? -1 : 0;
}

static int
send_transcript(struct mailin *mi, struct store *store,
		const struct mailin_verdict *v, const struct reply *r,
		char **error_r)
{
	struct strlist l = { 0 };
	const struct mailin_verdict *on = v;
	struct mailin_verdict kept;
	char *body, *subject;
	int ret;
	bool state = false;

	strlist_addf(&l, "%s\n\n", tr(&T_INTRO, r->lang));
	for (size_t i = 0; i < r->ncmds; i++) {
		const struct command *c = &r->cmds[i];

		if (c->error == NULL)
			strlist_addf(&l, "  %s\n      %s\n", c->line,
				     tr(&T_OK, r->lang));
		else
			strlist_addf(&l, "  %s\n      %s: %s%s\n", c->line,
				     tr(&T_REFUSED, r->lang), c->error,
				     c->error_detail != NULL ?
				     c->error_detail : "");
		state |= refused_for_state(c);
	}
	if (state && add_case_now(mi, store, v, r->lang != NULL &&
				  strcmp(r->lang, "en") == 0, &l,
				  error_r) < 0) {
		strlist_clear(&l);
		return -1;
	}
	/* a case merged into another: a retry goes to the case kept,
	   which this mail is signed for, when the handler may read it */
	if (r->merged_id != 0 &&
	    (ret = mailin_handler_may_read(mi, store, v->handler_id,
					   r->merged_id, error_r)) != 0) {
		if (ret < 0) {
			strlist_clear(&l);
			return -1;
		}
		kept = *v;
		kept.case_id = r->merged_id;
		snprintf(kept.case_number, sizeof(kept.case_number), "%s",
			 r->merged);
		on = &kept;
		strlist_addf(&l, r->lang != NULL && strcmp(r->lang, "en") == 0 ?
			     "\nThe case is merged into %s: the commands of "
			     "a reply to this mail act on %s.\n" :
			     "\nÄrendet har slagits ihop med %s: kommandona i "
			     "ett svar på det här mejlet gäller %s.\n",
			     r->merged, r->merged);
	} else {
		strlist_addf(&l, "\n%s\n", tr(&T_RETRY, r->lang));
	}
	/* a reply to this mail or the notification has no files */
	if (files_for_citizen(r, v->msg))
		strlist_addf(&l, "%s\n", tr(&T_RETRY_FILES, r->lang));
	/* what was written, to copy into the new reply: nothing of it
	   went anywhere */
	if (typed_text(r)[0] != '\0')
		strlist_addf(&l, "\n%s\n\n%s\n", r->lang != NULL &&
			     strcmp(r->lang, "en") == 0 ? "Your text, not "
			     "sent:" : "Din text, som inte skickades:",
			     typed_text(r));
	body = strlist_join(&l);
	/* named by the case the commands were written on */
	subject = xasprintf("%s [%s]", tr(&T_SUBJECT, r->lang),
			    v->case_number);
	ret = mail_handler(mi, store, on, r->address, subject, body, error_r);
	free(subject);
	free(body);
	return ret;
}

/* The template the reply's text goes to the citizen in: that of its
   first workflow command that names one (#fråga's question), else
   cirm's own "answer". */
static const char *
answer_template(const struct reply *r)
{
	for (size_t i = 0; i < r->ncmds; i++) {
		if (r->cmds[i].kind == CMD_WORKFLOW &&
		    r->cmds[i].wc->template != NULL)
			return r->cmds[i].wc->template;
	}
	return "answer";
}

/* An answer to a citizen who wrote by SMS must fit the workflow's
   sms-segments: when it does not, nothing is done and the handler is
   told its length, its cost and the limit. 1 when too long (the
   handler told), 0, -1; *SMS_R says whether the case is an SMS one. */
static int
sms_too_long(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, const struct reply *r,
	     int *sms_r, char **error_r)
{
	/* with the signature under "-- " that signs it, as carry_out
	   sends it: without, an answer that fits only unsigned passes
	   here, and do_reply drops it from its own SMS */
	struct caseflow_input in = {
		.channel = "email", .text = r->text, .sender_id = v->handler_id,
		.now = cirm_now(), .signature = r->delimited_signature,
	};
	struct caseflow_sms_cost cost;
	char *body, *outside = NULL;
	int rc = caseflow_sms_cost(mi->flow, store, v->case_id,
				   answer_template(r), &in, &cost, error_r);
	bool en = r->lang != NULL && strcmp(r->lang, "en") == 0;

	*sms_r = rc > 0;

	if (rc <= 0 || cost.segments <= cost.limit)
		return rc < 0 ? -1 : 0;
	/* Which characters cost the dearer alphabet: a typographic
	   apostrophe or dash, or a no-break space, cannot be seen. */
	if (cost.ucs2 && cost.outside[0] != '\0')
		outside = xasprintf(en ? "\n\nThese characters are not in the "
				    "SMS alphabet and make each segment hold "
				    "only 67 characters: %s. Replace them (’ "
				    "with ' and – with -, say) and a segment "
				    "holds 153." :
				    "\n\nDe här tecknen finns inte i "
				    "sms-alfabetet och gör att varje del "
				    "rymmer bara 67 tecken: %s. Byt ut dem "
				    "(till exempel ’ mot ' och – mot -), så "
				    "ryms 153 tecken per del.", cost.outside);
	if (!en)
		body = xasprintf("Ditt svar skickades inte. Invånaren skrev med "
				 "sms, och svaret skulle bli %d tecken och "
				 "kosta %d sms-delar (%s). Arbetsflödet "
				 "tillåter högst %d delar.%s\n\nIngenting har "
				 "ändrats i ärendet. Korta texten (eller "
				 "skicka den i flera svar) och svara igen på "
				 "aviseringen.\n", cost.characters,
				 cost.segments, tr(cost.ucs2 ? &T_UCS2 :
						   &T_GSM7, r->lang),
				 cost.limit, outside != NULL ? outside : "");
	else
		body = xasprintf("Your answer was not sent. The citizen wrote "
				 "by SMS, and the answer would be %d "
				 "characters costing %d SMS segments (%s). The "
				 "workflow allows at most %d.%s\n\nNothing has "
				 "changed on the case. Shorten the text (or "
				 "send it in several replies) and reply to the "
				 "notification again.\n", cost.characters,
				 cost.segments, tr(cost.ucs2 ? &T_UCS2 :
						   &T_GSM7, r->lang),
				 cost.limit, outside != NULL ? outside : "");
	free(outside);
	rc = mail_handler_on_case(mi, store, v, r->address,
				  tr(&T_SMS_SUBJECT, r->lang), body, error_r);
	free(body);
	log_info("case %s: handler answer too long for SMS (%d segments, "
		 "limit %d)", v->case_number, cost.segments, cost.limit);
	return rc < 0 ? -1 : 1;
}

/* An SMS carries no files: when the handler's answer to an SMS case
   had attachments, the text went alone, and the handler is told so (a
   mail) and the case notes it. 0, or -1. */
static int
attachments_withheld(struct mailin *mi, struct store *store,
		     const struct mailin_verdict *v, const struct reply *r,
		     char **error_r)
{
	size_t n = 0;
	char *body;
	int rc;

	/* a signature's logo is no file for the citizen */
	for (size_t i = 0; i < v->msg->nparts; i++)
		n += mime_part_is_file(&v->msg->parts[i]) &&
		     !(r->logo != NULL && r->logo[i]);
	if (n == 0)
		return 0;
	if (r->text[0] == '\0')
		body = xasprintf(r->lang == NULL || strcmp(r->lang, "en") != 0 ?
				 "Bilagorna i ditt svar (%zu) skickades inte "
				 "till invånaren, som skrev med sms: sms kan "
				 "inte bära filer. De finns kvar i ärendet. "
				 "Behöver invånaren dem, nå hen på annat sätt, "
				 "till exempel med brev, och anteckna det med "
				 "#notering.\n" :
				 "The attachments of your answer (%zu) did not "
				 "go to the citizen, who wrote by SMS: an SMS "
				 "cannot carry files. They are kept on the case. "
				 "If the citizen needs them, reach them another "
				 "way, for example by letter, and record it "
				 "with #note.\n", n);
	else if (r->lang == NULL || strcmp(r->lang, "en") != 0)
		body = xasprintf("Ditt svar skickades som sms till invånaren, men "
				 "utan bilagorna (%zu): sms kan inte bära "
				 "filer. De finns kvar i ärendet. Behöver "
				 "invånaren dem, nå hen på annat sätt, till "
				 "exempel med brev, och anteckna det med "
				 "#notering.\n", n);
	else
		body = xasprintf("Your answer went to the citizen as an SMS, but "
				 "without its attachments (%zu): an SMS cannot "
				 "carry files. They are kept on the case. If the "
				 "citizen needs them, reach them another way, "
				 "for example by letter, and record it with "
				 "#note.\n", n);
	rc = mail_handler_on_case(mi, store, v, r->address,
				  tr(&T_SMS_FILES, r->lang), body, error_r);
	if (rc == 0)
		rc = store_event_add(store, v->case_id, cirm_now(),
				     "reply.attachments_withheld",
				     v->handler_id, NULL, NULL, NULL, error_r);
	free(body);
	return rc < 0 ? -1 : 0;
}

/* Outlook in its RTF format sends files and formatting as winmail.dat,
   which hardly any mail client opens: it does not go to the citizen
   (store_attachments_copy leaves it), and the handler is told how to
   send the files again. SENT: the text went to the citizen. 0, or -1. */
static int
tnef_withheld(struct mailin *mi, struct store *store,
	      const struct mailin_verdict *v, const struct reply *r, bool sent,
	      char **error_r)
{
	bool en = r->lang != NULL && strcmp(r->lang, "en") == 0, any = false;
	char *body;
	int rc;

	for (size_t i = 0; i < v->msg->nparts && !any; i++)
		any = mime_part_is_tnef(&v->msg->parts[i]);
	if (!any)
		return 0;
	body = xasprintf(en ?
			 "%s, but not its attachment winmail.dat. That is how "
			 "Outlook sends files and formatting when a message is "
			 "in Rich Text format, and most mail programs cannot "
			 "open it. It is kept on the case. If your answer had "
			 "files for the citizen, send them again in a reply of "
			 "its own in HTML or plain text format (in Outlook: "
			 "Format Text, HTML).\n" :
			 "%s, men inte bilagan winmail.dat. Så skickar "
			 "Outlook filer och formatering när ett "
			 "meddelande har formatet RTF, och de flesta "
			 "e-postprogram kan inte öppna den. Den finns "
			 "kvar i ärendet. Hade ditt svar filer till "
			 "invånaren, skicka dem igen i ett eget svar "
			 "med formatet HTML eller oformaterad text (i Outlook: "
			 "Formatera text, HTML).\n",
			 sent ? (en ? "Your answer went to the citizen" :
				 "Ditt svar skickades till invånaren") :
			 (en ? "Your reply was carried out" :
			  "Ditt svar utfördes"));
	rc = mail_handler_on_case(mi, store, v, r->address,
				  tr(&T_TNEF, r->lang), body, error_r);
	if (rc == 0)
		rc = store_event_add(store, v->case_id, cirm_now(),
				     "reply.attachments_withheld",
				     v->handler_id, NULL, NULL, "winmail.dat",
				     error_r);
	free(body);
	return rc < 0 ? -1 : 0;
}

/* The citizen of an SMS case opted out (STOP: R->sms_stopped), so the
   handler's answer was withheld (the case notes it): the handler is
   told so, by mail, rather than left to think the citizen has it, with
   the number to ring them (no SMS reaches them, and a number is all
   cirm has of them). 1
   when told, 0 when the number has not opted out, -1. */
static int
sms_optout_told(struct mailin *mi, struct store *store,
		const struct mailin_verdict *v, const struct reply *r,
		char **error_r)
{
	char *body;
	int rc;

	if (!r->sms_stopped)
		return 0;
	log_info("case %s: handler answer withheld: the citizen's number "
		 "opted out of SMS", v->case_number);
	body = r->stopped_number == NULL ?
		xstrdup(tr(&T_SMS_OPTOUT_BODY, r->lang)) :
		xasprintf("%s\n%s%s\n", tr(&T_SMS_OPTOUT_BODY, r->lang),
			  tr(&T_STOPPED_NUMBER, r->lang), r->stopped_number);
	rc = mail_handler_on_case(mi, store, v, r->address,
				  tr(&T_SMS_OPTOUT, r->lang), body, error_r);
	free(body);
	return rc < 0 ? -1 : 1;
}

/* One line of skipped_told for K, in LANG. */
static char *
skip_line(const struct caseflow_skip *k, const char *lang)
{
	const struct text *what, *why;
	char *target;

	switch (k->why) {
	case CASEFLOW_NO_GROUP:
	case CASEFLOW_NOBODY:
		target = k->who != NULL ?
			 xasprintf("%s %s", tr(&T_SKIP_GROUP, lang), k->who) :
			 xstrdup(tr(&T_SKIP_OFFICER, lang));
		break;
	case CASEFLOW_NO_HANDLER:
		target = xstrdup(k->who != NULL ? k->who :
				 tr(&T_SKIP_SOMEONE, lang));
		break;
	default:	/* no officer, or one with no address */
		target = xstrdup(k->who != NULL ? k->who :
				 tr(&T_SKIP_OFFICER, lang));
		break;
	}
	what = k->what == CASEFLOW_SKIP_NOTIFY ? &T_SKIP_NOTIFY :
	       k->what == CASEFLOW_SKIP_SET_GROUP ? &T_SKIP_SET_GROUP :
	       k->why == CASEFLOW_NOBODY ? &T_SKIP_ASSIGN_IN : &T_SKIP_ASSIGN;
	switch (k->why) {
	case CASEFLOW_NO_GROUP:
		why = &T_SKIP_NO_GROUP;
		break;
	case CASEFLOW_NO_HANDLER:
		why = &T_NO_HANDLER;
		break;
	case CASEFLOW_NO_ADDRESS:
		why = &T_SKIP_NO_ADDRESS;
		break;
	case CASEFLOW_NO_OFFICER:
		why = &T_SKIP_NO_OFFICER;
		break;
	default:
		why = k->what == CASEFLOW_SKIP_NOTIFY ? &T_SKIP_NOBODY_MAIL :
		      &T_SKIP_NOBODY;
		break;
	}
	char *line = xasprintf("- %s %s: %s", tr(what, lang), target,
			       tr(why, lang));

	free(target);
	return line;
}

/* A handler whose reply ran actions of the workflow that found nobody
   in the directory (a notification to a group not set up yet: the
   #remiss nobody got) is told so, once for each, rather than left to
   believe they went. The history and cirmctl status have them too. 0,
   -1. */
static int
skipped_told(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, const struct reply *r,
	     char **error_r)
{
	struct strlist lines = { 0 };
	char *list, *text, *body;
	int rc;

	if (r->skipped.n == 0)
		return 0;
	for (size_t i = 0; i < r->skipped.n; i++) {
		char *line = skip_line(&r->skipped.v[i], r->lang);

		if (!strlist_has(&lines, line))
			strlist_add(&lines, line);
		free(line);
	}
	list = strlist_join_sep(&lines, "\n");
	text = xasprintf("%s\n\n%s\n\n%s\n", tr(&T_SKIPPED_LEAD, r->lang),
			 list, tr(&T_SKIPPED_END, r->lang));
	body = text_wrap(text, 72);
	rc = mail_handler_on_case(mi, store, v, r->address,
				  tr(&T_SKIPPED, r->lang), body, error_r);
	free(list);
	free(text);
	free(body);
	strlist_clear(&lines);
	return rc < 0 ? -1 : 0;
}

/* #namn and #språk: the citizen of v's case has NAME or reads cirm's
   texts in LANG from now on (on their other cases too: it is one
   person), as C says; the history says which was set, not to what.
   0, 1 when the case has no citizen, -1. */
static int
set_citizen(struct store *store, const struct mailin_verdict *v,
	    const struct command *c, int64_t now, char **error_r)
{
	struct store_case_flow f = { 0 };
	bool name = c->kind == CMD_NAME;
	int rc = store_case_flow_get(store, v->case_id, &f, error_r);

	if (rc == 0 || (rc > 0 && f.citizen_id == 0))
		rc = 1;
	else if (rc > 0 &&
		 ((name ? store_contact_set_name(store, f.citizen_id, c->arg,
						 error_r) :
		   store_contact_set_language(store, f.citizen_id, c->arg,
					      error_r)) < 0 ||
		  store_event_add(store, v->case_id, now, "handler.set",
				  v->handler_id, NULL, NULL,
				  name ? "name" : "language", error_r) < 0))
		rc = -1;
	else if (rc > 0)
		rc = 0;
	store_case_flow_clear(&f);
	return rc;
}

/* Carries out R's commands with IN (any #språk is done already),
   telling in *ANY_WORKFLOW_R whether one was the workflow's: first
   cirm's own that set a field (#prioritet, #kategori, #senast), then
   the workflow's in order, so that what these send (#tilldela's mail
   to the new case officer, #eskalera's to the manager) shows the case
   as the reply leaves it, whichever line came first. 1 when a command
   cannot be carried out (its error set), 0, -1. */
static int
run_commands(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, struct reply *r,
	     struct caseflow_input *in, bool *any_workflow_r, char **error_r)
{
	bool any_workflow = false;
	int ret = 0;

	for (size_t k = 0; ret == 0 && k < 2 * r->ncmds; k++) {
		struct command *c = &r->cmds[k % r->ncmds];
		int64_t t;

		if ((c->kind == CMD_WORKFLOW) != (k >= r->ncmds))
			continue;
		switch (c->kind) {
		case CMD_WORKFLOW:
			/* checked in the state before the reply: "#klar"
			   above "#fråga" leaves no question to ask */
			if (any_workflow &&
			    (ret = caseflow_handles(mi->flow, store,
						    v->case_id, c->wc->event,
						    error_r)) <= 0) {
				if (ret == 0) {
					c->error = tr(&T_AFTER, r->lang);
					ret = 1;
				}
				break;
			}
			ret = 0;
			/* #slå-ihop: linked before the workflow closes the
			   case, so that what it sends the citizen names the
			   case kept (case.merged_into) */
			if (c->merge_into != 0 &&
			    (store_case_merge(store, v->case_id, c->merge_into,
					      error_r) < 0 ||
			     store_event_add(store, c->merge_into, in->now,
					     "case.merged", v->handler_id,
					     NULL, NULL, v->case_number,
					     error_r) < 0)) {
				ret = -1;
				break;
			}
			in->argument = c->arg[0] != '\0' ? c->arg : NULL;
			ret = caseflow_event(mi->flow, store, v->case_id,
					     c->wc->event, in, error_r);
			in->argument = NULL;
			any_workflow = true;
			/* a merged case is closed: a workflow that left it
			   open (workflow check says so) merges nothing */
			if (ret == 0 && c->merge_into != 0 &&
			    (ret = mailin_case_closed(store, v->case_id,
						      error_r)) >= 0) {
				if (ret == 0)
					c->error = tr(&T_MERGE_OPEN, r->lang);
				ret = ret == 0;
			}
			break;
		case CMD_NOTE:
			break;
		case CMD_PRIORITY:
		case CMD_CATEGORY:
			ret = store_case_set_text(store, v->case_id,
						  c->kind == CMD_PRIORITY ?
						  "priority" : "category",
						  c->arg, error_r);
			if (ret == 0)
				ret = store_event_add(store, v->case_id, in->now,
						      "handler.set",
						      v->handler_id, NULL, NULL,
						      c->kind == CMD_PRIORITY ?
						      "priority" : "category",
						      error_r);
			break;
		case CMD_LANGUAGE:	/* done above */
		case CMD_NAME:
		case CMD_CANNED:	/* in the text already */
		case CMD_HELP:		/* answered after */
		case CMD_FORWARD:	/* sent after */
			break;
		case CMD_DUE:
			valid_date(c->arg, &t, NULL);
			ret = store_case_set_int(store, v->case_id, "due_at", t,
						 error_r);
			if (ret == 0)
				ret = store_event_add(store, v->case_id, in->now,
						      "handler.set",
						      v->handler_id, NULL, NULL,
						      "due", error_r);
			break;
		}
	}
	*any_workflow_r = any_workflow;
	return ret;
}

/* Whether one of R's commands is the workflow's. */
static bool
has_workflow_command(const struct reply *r)
{
	for (size_t i = 0; i < r->ncmds; i++)
		if (r->cmds[i].kind == CMD_WORKFLOW)
			return true;
	return false;
}

/* Sends the text to the citizen (unless #note) with the attachments of
   the handler's message MESSAGE_ID, then carries out the checked
   commands in order: what they send comes after the answer, unless it
   carries the answer itself (below). A #språk goes first, as the
   answer is written in the language it sets. SMS: the case is an SMS
   one.
   1 when a command cannot be carried out (a workflow command in the
   state the ones above it left; its error set; the caller undoes what
   was done), 0, -1. */
/* R's text goes to the citizen in a message of its own (answer, or
   the template of R's command that names one), with the handler's
   files by mail. 0, or -1. */
static int
answer_alone(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, const struct reply *r,
	     const struct caseflow_input *in, int64_t message_id,
	     char **error_r)
{
	struct caseflow_input a = *in;

	a.attachments_of = message_id;
	a.attachments_withheld = r->signature_pictures;
	a.written_by_handler = true;
	return caseflow_reply(mi->flow, store, v->case_id, answer_template(r),
			      &a, error_r);
}

static int log_read(struct store *store, const struct mailin_verdict *v,
		    const char *action, const char *object,
		    const char *detail, char **error_r);

/* The citizen's messages of a case, for a forward: the newest
   FORWARD_CITIZEN_MAX, oldest first, each with when it came. */
#define FORWARD_CITIZEN_MAX 5

struct citizen_said {
	struct strlist l;
	struct strlist addresses;	/* the citizen's mail addresses */
	bool en;
};

static int
add_mail_address(const struct store_address *a, void *ctx)
{
	struct strlist *l = ctx;

	if (strcmp(a->kind, "email") == 0 && a->address[0] != '\0')
		strlist_add(l, a->address);
	return 0;
}

/* TEXT (LEN bytes) with each of ADDRESSES in it, in any case, as MASK:
   a letter the citizen forwarded names them ("To: <anna@example.se>"),
   and their address is not for someone outside. Caller frees. */
static char *
mask_addresses(const char *text, size_t len, const struct strlist *addresses,
	       const char *mask)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (f == NULL)
		fatalx("open_memstream: out of memory");
	for (size_t i = 0; i < len;) {
		size_t hit = 0;

		for (size_t k = 0; k < addresses->n && hit == 0; k++) {
			size_t n = strlen(addresses->v[k]);

			if (n <= len - i &&
			    strncasecmp(text + i, addresses->v[k], n) == 0)
				hit = n;
		}
		if (hit > 0) {
			fputs(mask, f);
			i += hit;
		} else
			fputc(text[i++], f);
	}
	fclose(f);
	return out;
}

static int
citizen_said(const struct store_message *m, void *ctx)
{
	struct citizen_said *cs = ctx;
	char when[LOCAL_MINUTE_SIZE];

	if (strcmp(m->direction, "in") != 0 ||
	    strcmp(m->visibility, "public") != 0)
		return 0;
	if (cs->l.n == FORWARD_CITIZEN_MAX) {
		free(cs->l.v[0]);
		memmove(cs->l.v, cs->l.v + 1, (cs->l.n - 1) * sizeof(*cs->l.v));
		cs->l.n--;
	}
	/* their words without the closing and signature below them,
	   where a citizen's name, address and telephone usually are */
	const char *body = m->body != NULL ? m->body : "";
	const char *signoff = reply_signoff(body);
	int len = signoff != NULL ? (int)(signoff - body) : (int)strlen(body);

	while (len > 0 && strchr(" \t\r\n", body[len - 1]) != NULL)
		len--;
	local_minute(m->at, when);
	if (len > 0) {
		char *words = mask_addresses(body, (size_t)len, &cs->addresses,
					     cs->en ? "[the citizen's address]" :
					     "[invånarens adress]");

		strlist_addf(&cs->l, cs->en ? "The citizen wrote %s:\n\n%s\n" :
			     "Invånaren skrev %s:\n\n%s\n", when, words);
		free(words);
	} else
		strlist_addf(&cs->l, cs->en ? "The citizen wrote %s: %s\n" :
			     "Invånaren skrev %s: %s\n", when, body[0] != '\0' ?
			     (cs->en ? "(a greeting only)" :
			      "(bara en hälsning)") :
			     (cs->en ? "(files, no text)" :
			      "(filer, ingen text)"));
	if (m->files)
		strlist_addf(&cs->l, "%s\n", cs->en ? "(The citizen attached "
			     "files; they are not sent along.)" :
			     "(Invånaren bifogade filer; de skickas inte "
			     "med.)");
	return 0;
}

/* #vidarebefordra ADDRESS: R's text, the case's number and subject and
   the citizen's messages (their words, not their name nor address) go
   to ADDRESS from the case address, with the handler's files, and a
   Reply-To signed for this forward: the answer comes back to the case,
   for the case officer (MAILIN_OUTSIDE_REPLY). Kept on the case as an
   internal message, with an event and a line in the audit log, as
   what left the municipality. 0, or -1. */
static int
send_forward(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, const struct reply *r,
	     const char *address, int64_t message_id, char **error_r)
{
	bool en = r->lang != NULL && strcmp(r->lang, "en") == 0;
	struct citizen_said cs = { .en = en };
	struct store_case_flow f = { 0 };
	int64_t now = cirm_now(), msg = 0, fid = 0;
	char *said = NULL, *text = NULL, *body = NULL, *subject = NULL;
	char *mid = NULL, *reply_to = NULL, *headers = NULL;
	int rc = store_case_flow_get(store, v->case_id, &f, error_r);

	if (rc > 0 && f.citizen_id != 0)
		rc = store_contact_addresses(store, f.citizen_id,
					     add_mail_address, &cs.addresses,
					     error_r) < 0 ||
			store_case_messages_from(store, v->case_id,
						 f.citizen_id, citizen_said,
						 &cs, error_r) < 0 ? -1 : 1;
	if (rc <= 0)
		goto out;
	said = strlist_join_sep(&cs.l, "\n");
	text = xasprintf(en ? "%s\n\n-----\nForwarded by the case officer "
			 "of %s, case %s: %s\n\n%s%sReply to this mail: "
			 "your answer goes to the case officer, not to the "
			 "citizen.\n" :
			 "%s\n\n-----\nVidarebefordrat av handläggaren på "
			 "%s, ärende %s: %s\n\n%s%sSvara på det här mejlet: "
			 "svaret går till handläggaren, inte till "
			 "invånaren.\n", r->text, mi->name, v->case_number,
			 f.subject != NULL ? f.subject : "", said,
			 said[0] != '\0' ? "\n" : "");
	body = text_wrap(text, 72);
	subject = xasprintf(en ? "Forwarded case: %s [%s]" :
			    "Vidarebefordrat ärende: %s [%s]",
			    f.subject != NULL ? f.subject : "", v->case_number);
	mid = mailout_message_id(now, v->case_number, "forward", mi->address);
	{
		struct store_message_new m = {
			.direction = "out", .channel = "email",
			.visibility = "internal", .rfc_message_id = mid,
			.subject = subject, .body_stripped = body, .at = now,
		};

		if (store_message_add(store, v->case_id, &m, &msg,
				      error_r) < 0 ||
		    store_attachments_copy(store, message_id, msg,
					   r->signature_pictures,
					   error_r) < 0 ||
		    store_forward_add(store, v->case_id, msg, v->handler_id,
				      message_id, address, now, &fid,
				      error_r) < 0) {
			rc = -1;
			goto out;
		}
	}
	reply_to = token_address_forward(mi->key, mi->address,
					 v->case_number, fid);
	/* a person's mail: not marked automatic, so that it is read */
	headers = xasprintf("From: %s <%s>\nReply-To: %s\n", mi->name,
			    mi->address, reply_to);
	{
		struct store_outbox_new o = {
			.case_id = v->case_id, .message_id = msg,
			.channel = "email", .recipient = address,
			.rfc_message_id = mid, .subject = subject,
			.headers = headers, .body_in_message = true, .at = now,
		};

		rc = store_outbox_add(store, &o, NULL, error_r) < 0 ||
			store_event_add(store, v->case_id, now,
					"case.forwarded", v->handler_id, NULL,
					NULL, address, error_r) < 0 ||
			log_read(store, v, "case.forward", v->case_number,
				 address, error_r) < 0 ? -1 : 1;
	}
	if (rc > 0)
		log_info("case %s: forwarded outside by a case officer",
			 v->case_number);
out:
	strlist_clear(&cs.l);
	strlist_clear(&cs.addresses);
	store_case_flow_clear(&f);
	free(said);
	free(text);
	free(body);
	free(subject);
	free(mid);
	free(reply_to);
	free(headers);
	return rc < 0 ? -1 : 0;
}

/* R's #vidarebefordra lines, each sent. 0, or -1. */
static int
send_forwards(struct mailin *mi, struct store *store,
	      const struct mailin_verdict *v, const struct reply *r,
	      int64_t message_id, char **error_r)
{
	for (size_t i = 0; i < r->ncmds; i++) {
		bool again = false;

		if (r->cmds[i].kind != CMD_FORWARD)
			continue;
		/* one mail to an address written twice (in other capitals) */
		for (size_t k = 0; k < i && !again; k++)
			again = r->cmds[k].kind == CMD_FORWARD &&
				strcasecmp(r->cmds[k].arg, r->cmds[i].arg) == 0;
		if (!again && send_forward(mi, store, v, r, r->cmds[i].arg,
					   message_id, error_r) < 0)
			return -1;
	}
	return 0;
}

static int
carry_out(struct mailin *mi, struct store *store,
	  const struct mailin_verdict *v, struct reply *r,
	  int64_t message_id, bool sms, char **error_r)
{
	/* a signature alone is kept on the case, but is no colleague's
	   words for a notification ("Eva Ek skriver: Med vänlig hälsning") */
	struct caseflow_input in = {
		.channel = "email", .text = r->signature ? NULL : r->text,
		.sender_id = v->handler_id, .now = cirm_now(),
		.shown_text = r->signature ? NULL : r->shown,
		.signature = r->delimited_signature,
		.internal = r->note, .skipped = &r->skipped,
	};
	bool any_workflow = false;
	bool answer = !r->note && (r->text[0] != '\0' || r->files_alone);
	int ret = 0, forward_citizen = 0;

	for (size_t i = 0; ret == 0 && i < r->ncmds; i++) {
		struct command *c = &r->cmds[i];

		if (c->kind != CMD_LANGUAGE && c->kind != CMD_NAME)
			continue;
		ret = set_citizen(store, v, c, in.now, error_r);
		if (ret > 0) {
			c->error = tr(&T_NO_CITIZEN, r->lang);
			return 1;
		}
	}
	/* An answer goes in the message a command sends the citizen, when
	   that shows it ("your case is resolved", under #klar): one mail
	   or SMS, not two. By SMS only while the two fit in the workflow's
	   sms-segments (do_reply). When the commands send the citizen
	   nothing (#ta, #stäng), the answer goes after them, so that it
	   tells of the case as they leave it: closed by #stäng, it does
	   not ask for a reply that would open a new case. Tried in a
	   savepoint; otherwise the answer goes first, on its own, and the
	   commands after it. Not tried for an answer in a command's own
	   template (#fråga's question). */
	if (ret == 0 && answer && r->text[0] != '\0' &&
	    strcmp(answer_template(r), "answer") == 0 &&
	    has_workflow_command(r)) {
		struct caseflow_input m = in;
		bool sent = false;
		int to_citizen = 0;

		m.attachments_of = message_id;
		m.attachments_withheld = r->signature_pictures;
		m.answer_sent = &sent;
		m.citizen_sent = &to_citizen;
		if (store_savepoint(store, error_r) < 0)
			return -1;
		caseflow_trial_begin(mi->flow);
		ret = run_commands(mi, store, v, r, &m, &any_workflow,
				   error_r);
		if (ret == 0 && !sent && to_citizen == 0) {
			ret = answer_alone(mi, store, v, r, &in, message_id,
					   error_r);
			sent = ret == 0;
		}
		/* a trial that failed runs no more: what it said stands */
		caseflow_trial_end(mi->flow, ret != 0 || sent);
		if (ret == 0 && sent)
			return store_savepoint_release(store, error_r);
		store_savepoint_rollback(store);
		if (ret != 0)
			return ret;
		/* run again below: what it skips then is what stands */
		caseflow_skips_clear(&r->skipped);
		any_workflow = false;
	}
	if (ret == 0 && answer)
		ret = answer_alone(mi, store, v, r, &in, message_id, error_r);
	/* the text under #vidarebefordra is the recipient's: a command
	   that writes to the citizen (#klar's "your case is resolved")
	   would tell her without it, the officer believing she read it */
	if (r->forward)
		in.citizen_sent = &forward_citizen;
	if (ret == 0)
		ret = run_commands(mi, store, v, r, &in, &any_workflow,
				   error_r);
	/* which one wrote is not known: those that take a text for the
	   citizen, else all of the workflow's */
	for (int pass = 0; ret == 0 && forward_citizen > 0 && pass < 2;
	     pass++) {
		for (size_t i = 0; i < r->ncmds; i++) {
			struct command *c = &r->cmds[i];

			if (c->kind == CMD_WORKFLOW &&
			    (pass == 1 || c->wc->text != WORKFLOW_TEXT_NONE)) {
				c->error = tr(&T_FORWARD_WRITES, r->lang);
				ret = 1;
			}
		}
	}
	if (ret == 0 && answer && !any_workflow)
		ret = caseflow_event(mi->flow, store, v->case_id,
				     "mail.handler", &in, error_r);
	if (ret == 0 && r->forward)
		ret = send_forwards(mi, store, v, r, message_id, error_r);
	return ret;
}

/* A case officer's answer to the citizen of a case a colleague has:
   the colleague, its assignee, is told what went, in their language,
   with a Reply-To signed for them. Two officers must not answer one
   citizen unawares of each other (the citizen would read "today" from
   one and "tomorrow" from the other). 0, or -1. */
static int
tell_assignee(struct mailin *mi, struct store *store,
	      const struct mailin_verdict *v, const struct reply *r,
	      char **error_r)
{
	struct store_case_flow f = { 0 };
	char *addr = NULL, *who = NULL;
	char *subject = NULL, *body = NULL;
	const char *text = r->shown != NULL ? r->shown : r->text;
	bool en = false;
	int rc = store_case_flow_get(store, v->case_id, &f, error_r);

	/* an officer away (#borta) is told too, to read when back: the
	   case is theirs, and a colleague answered its citizen meanwhile */
	if (rc > 0 && (f.assignee_id == 0 ||
		       (!f.assignee_active && f.assignee_away == 0) ||
		       f.assignee_id == v->handler_id))
		rc = 0;
	if (rc > 0)
		rc = store_officer_mail(store, f.assignee_id, &addr, &en, error_r);
	if (rc > 0)
		rc = store_contact_name(store, v->handler_id, &who, error_r);
	if (rc > 0) {
		const char *subj = f.subject != NULL ? f.subject : "";

		subject = xasprintf(en ? "%s answered the citizen [%s] %s" :
				    "%s har svarat invånaren [%s] %s", who,
				    v->case_number, subj);
		body = xasprintf(en ? "%s has answered the citizen on your "
				 "case %s (%s). This went to the citizen:\n\n"
				 "%s\n\nThe case is still yours. To answer the "
				 "citizen yourself, reply to this mail." :
				 "%s har svarat invånaren i ditt ärende %s (%s). "
				 "Det här gick till invånaren:\n\n%s\n\n"
				 "Ärendet är fortfarande ditt. Vill du svara "
				 "invånaren själv: svara på det här mejlet.",
				 who, v->case_number, subj, text[0] != '\0' ?
				 text : en ? "(attached files, no text)" :
				 "(bifogade filer, ingen text)");
		rc = mail_officer(mi, store, v, f.assignee_id, false, addr,
				  subject, body, error_r);
	}
	store_case_flow_clear(&f);
	free(addr);
	free(who);
	free(subject);
	free(body);
	return rc < 0 ? -1 : 0;
}

/* A group's members, as store_group_emails gives them. */
struct members {
	int64_t *ids;
	size_t n;
};

static int
collect_member(int64_t contact_id, const char *address, void *ctx)
{
	struct members *m = ctx;

	(void)address;
	m->ids = xrealloc(m->ids, (m->n + 1) * sizeof(*m->ids));
	m->ids[m->n++] = contact_id;
	return 0;
}

/* After #slå-ihop (C) merged V's case into the case kept: its case
   officer is told what joined their case, with the citizen's words in
   it, and the merged case's officer that it was closed, and where it
   went; not whoever merged it. The Reply-To is signed for the case
   kept, where the work goes on. 0, or -1. */
static int
tell_merged(struct mailin *mi, struct store *store,
	    const struct mailin_verdict *v, const struct command *c,
	    char **error_r)
{
	struct store_case_flow kept = { 0 }, gone = { 0 };
	struct mailin_verdict to = *v;
	struct members group = { NULL, 0 };
	char *who = NULL, *said = NULL;
	int rc = store_case_flow_get(store, c->merge_into, &kept, error_r);

	if (rc > 0)
		rc = store_case_flow_get(store, v->case_id, &gone, error_r);
	if (rc > 0)
		rc = store_contact_name(store, v->handler_id, &who, error_r);
	if (rc > 0 &&
	    store_case_last_text(store, v->case_id, "citizen", &said, NULL,
				 error_r) < 0)
		rc = -1;
	to.case_id = c->merge_into;
	snprintf(to.case_number, sizeof(to.case_number), "%s", c->arg);
	/* the case kept with nobody on it: its group is told instead */
	if (rc > 0 && (kept.assignee_id == 0 || !kept.assignee_active) &&
	    kept.group_id != 0 &&
	    store_group_emails(store, kept.group_id, collect_member, &group,
			       error_r) < 0)
		rc = -1;
	for (size_t i = 0; rc > 0 && i < 2 + group.n; i++) {
		/* first the kept case's officer (or its group), then the
		   merged one's */
		int64_t officer = i == 0 ? kept.assignee_id :
			i == 1 ? gone.assignee_id : group.ids[i - 2];
		bool active = i == 0 ? kept.assignee_active :
			i == 1 ? gone.assignee_active : true;
		const char *subj = i != 1 ? kept.subject : gone.subject;
		char *addr = NULL, *subject, *body;
		bool en = false, mine = i == 0;
		int readable = 1;

		if (officer == 0 || !active || officer == v->handler_id ||
		    (i == 1 && officer == kept.assignee_id) ||
		    (i >= 2 && officer == gone.assignee_id))
			continue;
		if ((rc = store_officer_mail(store, officer, &addr, &en,
				     error_r)) <= 0) {
			if (rc < 0)
				break;
			rc = 1;		/* no address: nobody to tell */
			continue;
		}
		if (i != 1) {
			subject = xasprintf(en ? "%s was merged into %s case "
					    "[%s] %s" : "%s har slagits ihop "
					    "med %särende [%s] %s",
					    v->case_number,
					    en ? (mine ? "your" : "the") :
					    (mine ? "ditt " : ""), c->arg,
					    subj != NULL ? subj : "");
			body = xasprintf(en ? "%s merged case %s into %s case "
					 "%s%s: the same citizen wrote both. %s "
					 "is closed, and what the citizen "
					 "writes on it comes to %s.\n\nThe "
					 "latest message in %s:\n\n%s\n\nTo "
					 "answer the citizen, reply to this "
					 "mail." :
					 "%s har slagit ihop ärende %s med %s"
					 "ärende %s%s: samma invånare skrev "
					 "båda. %s är avslutat, och det "
					 "invånaren skriver i det ärendet kommer "
					 "till %s.\n\nSenaste meddelandet i "
					 "%s:\n\n%s\n\nVill du svara "
					 "invånaren: svara på det här mejlet.",
					 who, v->case_number,
					 en ? (mine ? "your" : "the") :
					 (mine ? "ditt " : ""), c->arg,
					 mine ? "" : en ? ", which nobody has "
					 "taken yet" : ", som ingen har tagit "
					 "ännu",
					 v->case_number, c->arg,
					 v->case_number, said != NULL ? said :
					 en ? "(no text)" : "(ingen text)");
		} else {
			subject = xasprintf(en ? "Your case was merged into %s "
					    "[%s] %s" : "Ditt ärende har "
					    "slagits ihop med %s [%s] %s",
					    c->arg, v->case_number,
					    subj != NULL ? subj : "");
			/* a Reply-To for the case kept only to an officer
			   who may read it: else the reply would be set
			   aside */
			readable = mailin_handler_may_read(mi, store, officer,
							   c->merge_into,
							   error_r);
			if (readable < 0) {
				free(addr);
				free(subject);
				rc = -1;
				break;
			}
			body = xasprintf(en ? "%s merged your case %s into %s, "
					 "the same citizen's case. %s is "
					 "closed, and the work goes on in %s: "
					 "what the citizen writes on either "
					 "comes there.%s%s%s" :
					 "%s har slagit ihop ditt ärende %s med "
					 "%s, som gäller samma invånare. %s är "
					 "avslutat, och arbetet fortsätter i %s: "
					 "det invånaren skriver i något av dem "
					 "kommer dit.%s%s%s",
					 who, v->case_number, c->arg,
					 v->case_number, c->arg,
					 readable == 0 ? "" : en ? " To act on " :
					 " Vill du arbeta med ",
					 readable == 0 ? "" : c->arg,
					 readable == 0 ? "" : en ? ", reply to "
					 "this mail." : ": svara på det här "
					 "mejlet.");
		}
		to.case_id = readable != 0 ? c->merge_into : 0;
		rc = mail_officer(mi, store, &to, officer, false, addr,
				  subject, body, error_r);
		rc = rc < 0 ? -1 : 1;
		free(addr);
		free(subject);
		free(body);
	}
	store_case_flow_clear(&kept);
	store_case_flow_clear(&gone);
	free(group.ids);
	free(who);
	free(said);
	return rc < 0 ? -1 : 0;
}

/* #hjälp in a reply on a case: the handler gets, by mail, the commands
   that apply to it now, those that apply in any state and those for
   mail without a case. 0, or -1. */
static int
mail_help(struct mailin *mi, struct store *store,
	  const struct mailin_verdict *v, const struct reply *r,
	  char **error_r)
{
	bool en = r->lang != NULL && strcmp(r->lang, "en") == 0;
	struct store_case_flow f = { 0 };
	struct strlist l = { 0 };
	char *now = NULL, *body;
	int ret = store_case_flow_get(store, v->case_id, &f, error_r);

	if (ret > 0 && f.closed_at == 0)
		ret = caseflow_commands_now(mi->flow, store, v->case_id,
					    v->handler_id, en, &now, error_r);
	store_case_flow_clear(&f);
	if (ret < 0)
		return -1;
	strlist_add(&l, en ? "Write commands at the top of a reply to a "
		    "notification of the case, or to this mail, one per line. "
		    "All the commands of a reply are carried out, or none of "
		    "them.\n\n" :
		    "Kommandon skriver du överst i ett svar på en avisering om "
		    "ärendet, eller på det här mejlet, ett per rad. Alla "
		    "kommandon i ett svar utförs, eller inget av dem.\n\n");
	/* a closed case takes a note, a category and the citizen's
	   language, nothing more; an answer still goes out */
	if (now == NULL)
		strlist_add(&l, en ? "The case is closed: it takes only #note, "
			    "#category, #language and #name. A text of yours "
			    "still goes to the citizen, and the case stays "
			    "closed.\n\n" :
			    "Ärendet är stängt: det tar bara #notering, "
			    "#kategori, #språk och #namn. En text av dig går "
			    "ändå till invånaren, och ärendet förblir "
			    "avslutat.\n\n");
	else
		strlist_addf(&l, en ? "In the case's current state these "
			     "apply:\n\n%s\nIn any open state:\n\n"
			     "  #priority LEVEL       — Low, normal, high or "
			     "urgent\n"
			     "  #due YYYY-MM-DD       — A new due date\n"
			     "  #language sv|en       — The language the "
			     "citizen reads\n"
			     "  #name NAME            — The citizen's name "
			     "(an SMS gives only a number)\n\n" :
			     "I ärendets nuvarande läge gäller:\n\n%s\n"
			     "I alla öppna lägen:\n\n"
			     "  #prioritet NIVÅ       — Låg, normal, hög eller "
			     "brådskande\n"
			     "  #senast ÅÅÅÅ-MM-DD    — Nytt sista datum\n"
			     "  #språk sv|en          — Språket invånaren "
			     "läser\n"
			     "  #namn NAMN            — Invånarens namn (ett "
			     "sms ger bara ett nummer)\n\n", now);
	strlist_add(&l, en ? "In a mail to the case address, without a "
		    "case:\n\n" :
		    "I ett mejl till ärendeadressen, utan ärende:\n\n");
	if (caseless_help(&l, r->lang, mi, store, v->handler_id,
			  error_r) < 0) {
		strlist_clear(&l);
		free(now);
		return -1;
	}
	body = strlist_join(&l);
	ret = mail_handler_on_case(mi, store, v, r->address,
				   en ? "Help" : "Hjälp", body, error_r);
	free(body);
	free(now);
	return ret;
}

/* Keeps R on the case as a refused reply (internal, not sent), with a
   handler.refused event saying WHY. 0, or -1. */
static int
keep_refused(struct mailin *mi, struct store *store,
	     const struct store_inbox_row *row, const struct mailin_verdict *v,
	     const char *text, const char *why, char **error_r)
{
	int64_t msg;

	if (mailin_save_handler_message(mi, store, row, v, text,
					HANDLER_REFUSED, &msg, error_r) < 0 ||
	    store_event_add(store, v->case_id, cirm_now(), "handler.refused",
			    v->handler_id, NULL, NULL, why, error_r) < 0)
		return -1;
	return 0;
}

/* BAD of R's commands cannot be carried out: the reply is kept on the
   case as an internal message, and the handler gets the transcript. */
static int
refuse(struct mailin *mi, struct store *store,
       const struct store_inbox_row *row, const struct mailin_verdict *v,
       const struct reply *r, int bad, char **error_r)
{
	if (keep_refused(mi, store, row, v, typed_text(r), "commands",
			 error_r) < 0)
		return -1;
	log_info("case %s: handler commands refused (%d of %zu)",
		 v->case_number, bad, r->ncmds);
	return send_transcript(mi, store, v, r, error_r);
}

/* R, kept on the case as a refused reply with TEXT (WHY says why, for
   the record), none of it carried out: the handler is told in a mail
   of SUBJECT and BODY, and cirmd's log says LOG_WHAT. */
static int
refuse_reply(struct mailin *mi, struct store *store,
	     const struct store_inbox_row *row, const struct mailin_verdict *v,
	     const struct reply *r, const char *text, const char *why,
	     const char *log_what, const struct text *subject,
	     const struct text *body, char **error_r)
{
	if (keep_refused(mi, store, row, v, text, why, error_r) < 0)
		return -1;
	log_info("case %s: %s", v->case_number, log_what);
	return mail_handler_on_case(mi, store, v, r->address,
				    tr(subject, r->lang), tr(body, r->lang),
				    error_r);
}

/* Whether one of R's commands takes no text (#tilldela): the reply is
   for colleagues. */
static bool
forbids_text(const struct reply *r)
{
	for (size_t i = 0; i < r->ncmds; i++)
		if (r->cmds[i].kind == CMD_HELP ||
		    (r->cmds[i].wc != NULL &&
		     r->cmds[i].wc->text == WORKFLOW_TEXT_NONE))
			return true;
	return false;
}

/* LINE without the quote marks and blanks it starts with and the
   blanks it ends with: its first byte in *START_R, its length. */
static size_t
bare_line(const char *line, size_t n, const char **start_r)
{
	const char *s = line, *e = line + n;

	while (s < e && (*s == '>' || *s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*start_r = s;
	return (size_t)(e - s);
}

/* Appends the N bytes at P to F with each run of blanks and line
   breaks as one space; *SPACE says whether the last byte written was
   one (none is written first). */
static void
put_collapsed(FILE *f, const char *p, size_t n, bool *space)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n') {
			*space = true;
			continue;
		}
		if (*space && ftell(f) > 0)
			fputc(' ', f);
		*space = false;
		fputc(p[i], f);
	}
}

/* The citizen's texts CITIZEN as one line: quote marks at the start of
   each line left out, blanks and line breaks as one space (caller
   frees). */
static char *
citizen_words(const char *citizen)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool space = false;

	for (const char *p = citizen; *p != '\0';) {
		size_t n = strcspn(p, "\n"), m;
		const char *s;

		m = bare_line(p, n, &s);
		space = true;
		put_collapsed(f, s, m, &space);
		p += n + (p[n] == '\n');
	}
	fclose(f);
	return out;
}

/* Whether LINE (LEN bytes, quote marks left out) is words the citizen
   wrote: whole words of WORDS (citizen_words) in a row, blanks aside.
   A part, not only a whole line: a mail client wraps a long quoted
   line, and cirm's #visa does. Nothing but the citizen's own words can
   pass. */
static bool
citizen_wrote(const char *words, const char *line, size_t len)
{
	char *want = NULL;
	size_t wlen = 0;
	FILE *f = open_memstream(&want, &wlen);
	bool space = false, found = false;

	put_collapsed(f, line, len, &space);
	fclose(f);
	for (const char *at = wlen > 0 ? strstr(words, want) : NULL;
	     at != NULL && !found; at = strstr(at + 1, want))
		found = (at == words || at[-1] == ' ') &&
			(at[wlen] == '\0' || at[wlen] == ' ');
	free(want);
	return found;
}

/* The handler answered between quotes (v->interleaved): the answer to
   the citizen keeps, above each answer, the quoted lines that are the
   citizen's own words, and only those. What the handler quoted comes
   from the notification, whose history may hold an internal note: a
   line goes to the citizen only when one of the citizen's own mails on
   the case has it. Sets r->shown, or leaves it NULL when no quoted
   line is the citizen's. 0, or -1. */
static int
answers_in_context(struct store *store, const struct mailin_verdict *v,
		   struct reply *r, char **error_r)
{
	struct reply all = { 0 };
	char *citizen = NULL, *texts = NULL;
	FILE *f;
	size_t len = 0;
	bool kept = false;

	if (store_case_citizen_texts(store, v->case_id, &texts,
				     error_r) < 0)
		return -1;
	citizen = citizen_words(texts);
	free(texts);
	parse(v->interleaved, &all);
	f = open_memstream(&r->shown, &len);
	for (const char *p = all.text; *p != '\0';) {
		size_t n = strcspn(p, "\n"), m = 0;
		const char *s = p;
		bool quoted = *p == '>';

		if (quoted)
			m = bare_line(p, n, &s);
		/* the handler's own lines, and the citizen's quoted ones */
		if (!quoted || (m > 0 && citizen_wrote(citizen, s, m))) {
			kept |= quoted;
			fwrite(p, 1, n + (p[n] == '\n'), f);
		}
		p += n + (p[n] == '\n');
	}
	fclose(f);
	if (!kept) {
		free(r->shown);
		r->shown = NULL;
	} else if (r->canned != NULL) {
		/* the standard answers, as in the text without quotes */
		char *t = insert_above_signoff(r->shown, r->canned);

		free(r->shown);
		r->shown = t;
	}
	reply_clear(&all);
	free(citizen);
	return 0;
}

/* Whether TEXT holds a line of a case's history that the citizen must
   not read, as cirm writes it to case officers: "  WHEN NAME (intern):
   ..." in a notification, "WHEN <- NAME (intern)" in #visa, and the
   same for answers from outside and refused replies, in either
   language; quoted with >, | or indented as a mail client may. The
   reply stripping leaves a quoted notification out of the answer; this
   holds when a mail client quotes in a way it does not know. */
static bool
quotes_internal(const char *text)
{
	static const char *const marks[] = {
		" (intern)", " (internal)", " (utifrån)", " (from outside)",
		" Utifrån: ", " From outside: ", " (avvisat, inte skickat)",
		" (refused, not sent)", NULL
	};

	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n"), k = strspn(p, " \t>|");
		const char *s = p + (k < n ? k : n);
		int y, mo, d, h, mi, used = 0;

		if (sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi,
			   &used) == 5 && used == 16 && s + used <= p + n) {
			const char *rest = s + used;
			size_t len = (size_t)(p + n - rest);

			for (size_t i = 0; marks[i] != NULL; i++)
				if (memmem(rest, len, marks[i],
					   strlen(marks[i])) != NULL)
					return true;
		}
		p += n + (p[n] == '\n');
	}
	return false;
}

/* An answer to the citizen on a case merged into another (R->merged)
   is not sent: it is kept as a refused reply, and the handler is told
   where the case went, in a mail whose Reply-To is signed for the case
   kept, so that answering it sends the answer there. 0, or -1. */
static int
merged_answer(struct mailin *mi, struct store *store,
	      const struct store_inbox_row *row,
	      const struct mailin_verdict *v, const struct reply *r,
	      char **error_r)
{
	bool en = r->lang != NULL && strcmp(r->lang, "en") == 0;
	struct mailin_verdict to = *v;
	char *subject, *body;
	int rc;

	if (keep_refused(mi, store, row, v, typed_text(r), "case merged",
			 error_r) < 0)
		return -1;
	to.case_id = r->merged_id;
	snprintf(to.case_number, sizeof(to.case_number), "%s", r->merged);
	subject = xasprintf(en ? "Your answer was not sent [%s]" :
			    "Ditt svar skickades inte [%s]", v->case_number);
	body = xasprintf(en ? "Your answer did not go to the citizen: case "
			 "%s has been merged into %s, and the work goes on "
			 "there. Your answer is kept on %s.\n\nTo send it, "
			 "reply to this mail with it: it goes to the citizen "
			 "on %s." :
			 "Ditt svar gick inte till invånaren: ärende %s har "
			 "slagits ihop med %s, och arbetet fortsätter där. "
			 "Svaret finns kvar i %s.\n\nVill du skicka det: "
			 "svara på det här mejlet med svaret, så går det till "
			 "invånaren i %s.", v->case_number, r->merged,
			 v->case_number, r->merged);
	rc = mail_officer(mi, store, mailin_handler_may_read(
				  mi, store, v->handler_id, r->merged_id,
				  error_r) > 0 ? &to : v,
			  v->handler_id, true, r->address, subject, body,
			  error_r);
	free(subject);
	free(body);
	return rc < 0 ? -1 : 0;
}

static int
handler_reply(struct mailin *mi, struct store *store,
	      const struct store_inbox_row *row, struct mailin_verdict *v,
	      struct reply *r, char **error_r)
{
	const struct workflow *wf = NULL;
	int64_t msg;
	int bad, sms = 0;

	if (caseflow_workflow_of(mi->flow, store, v->case_id, &wf,
				 error_r) < 0)
		return -1;
	{
		struct store_case_flow f = { 0 };
		int rc = store_case_flow_get(store, v->case_id, &f, error_r);

		/* a case merged into another is closed, whatever its
		   workflow would say of a command: its work goes on in the
		   kept case */
		int kept = rc > 0 && f.merged_into != 0 ?
			store_case_get_number(store, f.merged_into, r->merged,
					      error_r) : 0;

		int stopped = rc > 0 && f.citizen_id != 0 && f.channel != NULL &&
			strcmp(f.channel, "sms") == 0 ?
			store_contact_sms_stopped(store, f.citizen_id,
						  &r->stopped_number,
						  error_r) : 0;

		r->sms_stopped = stopped > 0;
		if (kept > 0)
			r->merged_id = f.merged_into;
		if (rc < 0 || kept < 0 || stopped < 0) {
			store_case_flow_clear(&f);
			return -1;
		}
		r->closed = (wf == NULL || r->merged[0] != '\0') && rc > 0 &&
			f.closed_at != 0;
		store_case_flow_clear(&f);
	}
	find_signature_pictures(r, v->msg);
	bad = check_commands(mi, store, v, wf, r, error_r);
	if (bad < 0)
		return -1;
	if (bad > 0)
		return refuse(mi, store, row, v, r, bad, error_r);
	/* files without a text go to the citizen on their own, unless a
	   command says the reply is for colleagues only (#tilldela); not
	   Outlook's winmail.dat, nor the logo in the handler's signature */
	for (size_t i = 0; i < v->msg->nparts && !r->note &&
			   r->text[0] == '\0' && !forbids_text(r); i++)
		r->files_alone |= file_for_citizen(r, v->msg, i);
	/* the work goes on in the case kept: an answer from the merged
	   case's old notification would reach the citizen beside that
	   case's officer, unawares of each other */
	if (r->merged[0] != '\0' && !r->note &&
	    (r->text[0] != '\0' || r->files_alone))
		return merged_answer(mi, store, row, v, r, error_r);
	if (!r->note && (r->text[0] != '\0' || r->files_alone)) {
		int over = sms_too_long(mi, store, v, r, &sms, error_r);

		/* an SMS of no text would carry nothing */
		if (sms && r->text[0] == '\0')
			r->files_alone = false;
		if (over != 0) {
			if (over < 0 ||
			    keep_refused(mi, store, row, v, typed_text(r),
					 "sms too long", error_r) < 0)
				return -1;
			return 0;
		}
	}
	/* no command, no text of its own and no file for the citizen:
	   perhaps the answer was written inside the quoted notification,
	   where it reads as quote; the handler is told, so that the
	   citizen does not wait for an answer that never went */
	if (r->ncmds == 0 && r->text[0] == '\0' && !r->files_alone &&
	    !(sms && files_for_citizen(r, v->msg)))
		return refuse_reply(mi, store, row, v, r, r->text, "no text",
				    "handler reply without text or commands",
				    &T_EMPTY_SUBJECT, &T_EMPTY, error_r);
	/* an answer by mail written between the citizen's quoted lines */
	if (!r->note && !sms && r->text[0] != '\0' && v->interleaved != NULL &&
	    answers_in_context(store, v, r, error_r) < 0)
		return -1;
	/* an answer quoting an internal line of the case's history */
	if (!r->note && !forbids_text(r) &&
	    quotes_internal(r->shown != NULL ? r->shown : r->text))
		return refuse_reply(mi, store, row, v, r, typed_text(r),
				    "internal quoted", "handler answer quotes "
				    "an internal line; not sent",
				    &T_INTERNAL_SUBJECT, &T_INTERNAL, error_r);
	/* all or nothing, also when a command turns out impossible only
	   after the ones above it */
	if (store_savepoint(store, error_r) < 0)
		return -1;
	if (mailin_save_handler_message(mi, store, row, v, r->shown != NULL ?
					r->shown : r->text, r->note ?
					HANDLER_NOTE : HANDLER_PUBLIC,
					&msg, error_r) < 0 ||
	    store_case_party_add(store, v->case_id, v->handler_id, "handler",
				 error_r) < 0 ||
	    (bad = carry_out(mi, store, v, r, msg, sms, error_r)) < 0) {
		store_savepoint_rollback(store);
		return -1;
	}
	if (bad > 0) {
		store_savepoint_rollback(store);
		return refuse(mi, store, row, v, r, bad, error_r);
	}
	if (store_savepoint_release(store, error_r) < 0)
		return -1;
	for (size_t i = 0; i < r->ncmds; i++)
		if (r->cmds[i].merge_into != 0 &&
		    tell_merged(mi, store, v, &r->cmds[i], error_r) < 0)
			return -1;
	for (size_t i = 0; i < r->ncmds; i++)
		if (r->cmds[i].kind == CMD_HELP) {
			if (mail_help(mi, store, v, r, error_r) < 0)
				return -1;
			break;
		}
	if (skipped_told(mi, store, v, r, error_r) < 0)
		return -1;
	/* a number that asked for no SMS got none: nothing to tell */
	if (sms && (bad = sms_optout_told(mi, store, v, r, error_r)) != 0)
		return bad < 0 ? -1 : 0;
	if (!r->note && (r->text[0] != '\0' || r->files_alone) &&
	    tell_assignee(mi, store, v, r, error_r) < 0)
		return -1;
	if (sms)
		return attachments_withheld(mi, store, v, r, error_r);
	if (r->note || forbids_text(r))
		return 0;
	return tnef_withheld(mi, store, v, r,
			     r->text[0] != '\0' || r->files_alone, error_r);
}

/* --- commands without a case ------------------------------------------ */

struct listing {
	struct strlist l;
	struct strlist numbers;	/* the cases listed, "KS-..., KS-..." */
	bool en;	/* in English, else Swedish */
	struct mailin *mi;
	struct store *store;
	struct strlist merged;	/* the cases merged into the one shown */
	/* a case officer's public answer, held until the next message
	   says whether it went to the citizen (show_messages) */
	char *held_who, *held_body;
	int64_t held_at;
	bool held;
};

/* The state of a case as handlers are shown it (its label). */
static const char *
shown_state(const struct listing *s, const char *workflow, int version,
	    const char *state)
{
	const char *label = caseflow_state_label(s->mi->flow, s->store,
						 workflow, version, state);

	return label != NULL ? label : "";
}

static int
list_line(const struct store_case_line *c, void *ctx)
{
	struct listing *s = ctx;
	const char *state = shown_state(s, c->workflow, c->workflow_version,
					c->state);
	size_t width = utf8_length(state);
	char *subject = digest_line_subject(c->number, width, c->subject,
					    s->en);

	/* padded by characters: "löst" is four wide, not five; at most
	   72, as #lista's lines */
	strlist_addf(&s->l, "  %-15s %s%*s %s\n", c->number, state,
		     width < 14 ? (int)(14 - width) : 1, "", subject);
	free(subject);
	strlist_addf(&s->numbers, "%s%s", s->numbers.n > 0 ? ", " : "",
		     c->number);
	return 0;
}

/* digest_settings.state_label for #lista: the label handlers know. */
static const char *
list_state_label(void *ctx, const char *workflow, int version,
		 const char *state)
{
	const struct listing *s = ctx;

	return s->mi->flow == NULL ? NULL :
		caseflow_state_label(s->mi->flow, s->store, workflow, version,
				     state);
}

/* digest_settings.due_shown for #lista: "by Friday". */
static int64_t
list_due_shown(void *ctx, const char *workflow, int version, int64_t due)
{
	const struct listing *s = ctx;

	return s->mi->flow == NULL ? due :
		caseflow_due_shown(s->mi->flow, s->store, workflow, version,
				   due);
}

/* One message of #visa: "WHEN <-" (in) or "->" (out), who wrote it
   where that is not the citizen or cirm, a mark, then its text. */
static void
put_message(struct listing *s, int64_t at, bool in, const char *who,
	    const char *mark, const char *body)
{
	char when[LOCAL_MINUTE_SIZE];

	local_minute(at, when);
	/* no blank at the end of the line when there is neither */
	strlist_addf(&s->l, "\n%s %s%s%s%s%s\n%s\n", when, in ? "<-" : "->",
		     *who != '\0' || *mark != '\0' ? " " : "", who,
		     *who != '\0' && *mark != '\0' ? " " : "", mark,
		     body != NULL ? body : "");
}

/* The held officer's answer, shown as it came in when PUT (no answer
   to the citizen followed it), then let go. */
static void
put_held(struct listing *s, bool put)
{
	if (!s->held)
		return;
	if (put)
		put_message(s, s->held_at, true, s->held_who, "",
			    s->held_body);
	s->held = false;
	free(s->held_who);
	free(s->held_body);
	s->held_who = s->held_body = NULL;
}

static int
message_line(const struct store_message *m, void *ctx)
{
	struct listing *s = ctx;
	bool in = strcmp(m->direction, "in") == 0;
	/* who wrote what came in: the citizen, or a colleague */
	const char *who = in && m->sender != NULL ? m->sender : "";
	/* internal and no officer's: an answer from outside (to a
	   #vidarebefordra), which the citizen never saw */
	const char *mark = strcmp(m->visibility, "internal") != 0 ? "" :
		m->refused ? caseflow_refused_mark(s->en) :
		in && !m->officer ? (s->en ? "(from outside)" : "(utifrån)") :
		s->en ? "(internal)" : "(intern)";
	char *forwarded = NULL, *signature, *signed_body = NULL;

	/* a case officer's reply of commands alone has no text nor files:
	   what it did is in the case's state, not a message */
	if (in && m->officer && !m->files && *mark == '\0' &&
	    (m->body == NULL || m->body[strspn(m->body, " \t\r\n")] == '\0'))
		return 0;
	/* the answer that went out after an officer's public reply is
	   that reply as the citizen read it: shown once, as that, under
	   the officer's name */
	if (!in && s->held) {
		char *from = xasprintf(s->en ? "from %s" : "från %s",
				       s->held_who);

		put_message(s, m->at, false, from, mark, m->body);
		free(from);
		put_held(s, false);
		return 0;
	}
	put_held(s, true);
	/* an officer's text that went outside, and to whom */
	if (m->forwarded_to != NULL && !m->refused)
		mark = forwarded = xasprintf(s->en ? "(forwarded to %s)" :
					     "(vidarebefordrat till %s)",
					     m->forwarded_to);
	if (in && m->officer && *mark == '\0') {
		s->held = true;
		s->held_at = m->at;
		s->held_who = xstrdup(who);
		s->held_body = m->body != NULL ? xstrdup(m->body) : NULL;
		return 0;
	}
	/* a citizen's (or another party's) signature under "-- ", which
	   the text lost: theirs to be reached by, as in the notification */
	if (in && !m->officer && *mark == '\0' && m->full != NULL &&
	    (signature = reply_delimited_signature(m->full)) != NULL) {
		const char *body = m->body != NULL ? m->body : "";

		signed_body = xasprintf("%s%s%s\n%s", body,
					*body != '\0' ? "\n\n" : "",
					s->en ? "Signature:" : "Signatur:",
					signature);
		free(signature);
	}
	put_message(s, m->at, in, who, mark, signed_body != NULL ?
		    signed_body : m->body);
	free(signed_body);
	free(forwarded);
	return 0;
}

/* The conversation of case ID, as #visa shows it. 0, or -1. */
static int
show_messages(struct store *store, int64_t id, struct listing *s,
	      char **error_r)
{
	int rc = store_case_messages(store, id, true, message_line, s,
				     error_r);

	put_held(s, true);
	return rc;
}

/* A case's priority as the handler reads it: the case keeps the English
   word the workflows' priority() conditions name, a Swedish reader is
   shown the word #prioritet takes in Swedish. */
static const char *
shown_priority(const struct listing *s, const char *priority)
{
	static const char *const sv[][2] = {
		{ "low", "låg" }, { "normal", "normal" },
		{ "high", "hög" }, { "urgent", "brådskande" },
	};

	if (priority == NULL)
		return "-";
	for (size_t i = 0; !s->en && i < N_ELEMENTS(sv); i++) {
		if (strcmp(priority, sv[i][0]) == 0)
			return sv[i][1];
	}
	return priority;
}

static int
show_case(const struct store_case *c, void *ctx)
{
	struct listing *s = ctx;
	/* as the notifications show it: "by Friday", not Monday 08:00 */
	int64_t due = s->mi->flow == NULL ? c->due_at :
		caseflow_due_shown(s->mi->flow, s->store, c->workflow,
				   c->workflow_version, c->due_at);
	char when[LOCAL_MINUTE_SIZE];

	if (due != 0)
		local_minute(due, when);
	strlist_addf(&s->l, "%s  %s\n  %s %s\n  %s %s\n  %s %s, %s %s\n"
		     "  %s %s\n  %s %s\n", c->number,
		     c->subject != NULL ? c->subject : "",
		     s->en ? "State:" : "Status:",
		     shown_state(s, c->workflow, c->workflow_version, c->state),
		     s->en ? "Workflow:" : "Arbetsflöde:",
		     c->workflow != NULL ? c->workflow : "-",
		     s->en ? "Priority:" : "Prioritet:",
		     shown_priority(s, c->priority),
		     s->en ? "category:" : "kategori:",
		     c->category != NULL ? c->category : "-",
		     s->en ? "Case officer:" : "Handläggare:",
		     /* by name, as the notifications have it */
		     c->assignee_name != NULL ? c->assignee_name :
		     c->assignee != NULL ? c->assignee : (s->en ? "none yet" :
							  "ingen ännu"),
		     s->en ? "Due:" : "Klart senast:",
		     due != 0 ? when : s->en ? "no deadline" :
		     "ingen tidsgräns");
	/* closed into another case: where its work goes on */
	if (c->merged_into != NULL)
		strlist_addf(&s->l, "  %s %s\n", s->en ? "Merged into:" :
			     "Sammanslaget med:", c->merged_into);
	/* and the cases that joined it, whose messages follow its own */
	strlist_clear(&s->merged);
	if (c->merged_here != NULL) {
		strlist_addf(&s->l, "  %s %s\n", s->en ? "Merged here:" :
			     "Sammanslagna hit:", c->merged_here);
		for (const char *p = c->merged_here; *p != '\0';) {
			size_t n = strcspn(p, ", ");

			if (n > 0)
				strlist_addf(&s->merged, "%.*s", (int)n, p);
			p += n + strspn(p + n, ", ");
		}
	}
	return 0;
}

/* Who case ID's citizen is, on its channel, in full: "Anna Andersson,
   +46 70 123 45 67" by SMS, "Anna Andersson <anna@example.se>" by
   mail. The notifications, pushed to a whole group, mask a number; a
   case officer who asks for the case (the read is in the read log)
   is given it, to ring a citizen who asked to be rung. 0, or -1. */
static int
show_citizen(struct store *store, int64_t id, struct listing *s,
	     char **error_r)
{
	struct store_case_flow f = { 0 };
	char *name = NULL, *addr = NULL;
	bool sms;
	int rc = store_case_flow_get(store, id, &f, error_r);

	sms = rc > 0 && f.channel != NULL && strcmp(f.channel, "sms") == 0;
	if (rc > 0 && f.citizen_id != 0)
		rc = store_contact_first_named(store, f.citizen_id,
					       sms ? "phone" : "email", &addr,
					       &name, error_r);
	else if (rc > 0)
		rc = 0;
	store_case_flow_clear(&f);
	if (rc > 0) {
		char spaced[E164_MASK_SIZE];
		const char *at = sms ? e164_spaced(addr, spaced) : addr;
		char *who = name != NULL && *name != '\0' ?
			xasprintf(sms ? "%s, %s" : "%s <%s>", name, at) :
			xstrdup(at);

		strlist_addf(&s->l, "  %s %s\n", s->en ? "Citizen:" :
			     "Invånare:", who);
		free(who);
	}
	free(name);
	free(addr);
	return rc < 0 ? -1 : 0;
}

/* The workflows that give one of the handler's groups a role, looked up
   once per reply. */
struct roles {
	struct strlist ids;
	bool known;
};

static int
role_workflows(struct mailin *mi, struct store *store,
	       const struct mailin_verdict *v, struct roles *roles,
	       char **error_r)
{
	if (roles->known || mi->case_access_all || mi->flow == NULL)
		return 0;
	roles->known = true;
	return caseflow_role_workflows(mi->flow, store, v->handler_id,
				       &roles->ids, error_r);
}

/* Whether the handler may read case ID (case_access): 1, 0, -1. */
static int
readable(struct mailin *mi, struct store *store,
	 const struct mailin_verdict *v, struct roles *roles, int64_t id,
	 char **error_r)
{
	if (mi->case_access_all)
		return 1;
	if (role_workflows(mi, store, v, roles, error_r) < 0)
		return -1;
	return store_case_readable(store, id, v->handler_id, &roles->ids,
				   error_r);
}

int
mailin_handler_may_read(struct mailin *mi, struct store *store,
			int64_t handler_id, int64_t case_id, char **error_r)
{
	struct mailin_verdict v = { .handler_id = handler_id };
	struct roles roles = { { 0 }, false };
	int r = readable(mi, store, &v, &roles, case_id, error_r);

	strlist_clear(&roles.ids);
	return r;
}

/* After the one case #visa showed (SHOWN): the commands the handler may
   use on it now, for a reply to this mail, which is then signed for the
   case. A closed case takes none: SHOWN->case_id is cleared, and the
   mail is not signed. 0, or -1. */
static int
act_on_shown(struct mailin *mi, struct store *store,
	     struct mailin_verdict *shown, bool en, struct strlist *l,
	     char **error_r)
{
	char *help = NULL;

	if (caseflow_commands_now(mi->flow, store, shown->case_id,
				  shown->handler_id, en, &help, error_r) < 0)
		return -1;
	if (help == NULL) {
		shown->case_id = 0;
		return 0;
	}
	strlist_addf(l, en ? "\nTo act on %s, reply to this mail with a "
		     "command at the top. Commands that apply now:\n\n%s" :
		     "\nSvara på det här mejlet med ett kommando överst för "
		     "att arbeta med %s. Kommandon som gäller nu:\n\n%s",
		     shown->case_number, help);
	free(help);
	return 0;
}

/* A case officer's reading by mail into the audit log (a read log):
   who ("mail:LOGIN"), ACTION on OBJECT, DETAIL; never the words they
   searched for. In the batch's transaction. 0, or -1. */
static int
log_read(struct store *store, const struct mailin_verdict *v,
	 const char *action, const char *object, const char *detail,
	 char **error_r)
{
	char *login = NULL, *actor;
	int r = store_contact_login(store, v->handler_id, &login, error_r);

	if (r < 0)
		return -1;
	actor = xasprintf("mail:%s", r > 0 ? login : "?");
	r = store_audit_add(store, cirm_now(), actor, action, object, detail,
			    error_r);
	free(actor);
	free(login);
	return r;
}

/* After the case #visa showed, the messages of the cases merged into it
   (S->merged), each under its number: the citizen's whole story in one
   mail. A merged case the handler may not read is named, not shown.
   Each shown is a read of that case, logged. 0, or -1. */
static int
show_merged(struct mailin *mi, struct store *store,
	    const struct mailin_verdict *v, struct roles *roles,
	    struct listing *s, char **error_r)
{
	struct strlist merged = s->merged;
	int rc = 0;

	s->merged = (struct strlist){ 0 };
	for (size_t i = 0; rc >= 0 && i < merged.n; i++) {
		int64_t id;

		if ((rc = store_case_id(store, merged.v[i], &id,
					error_r)) <= 0)
			continue;
		if ((rc = readable(mi, store, v, roles, id, error_r)) == 0) {
			strlist_addf(&s->l, s->en ? "\n%s, merged here: not "
				     "yours to read\n" : "\n%s, sammanslaget "
				     "hit: inte ditt att läsa\n",
				     merged.v[i]);
			continue;
		}
		if (rc < 0 || (rc = log_read(store, v, "case.read",
					     merged.v[i], "by mail, merged",
					     error_r)) < 0)
			break;
		strlist_addf(&s->l, s->en ? "\n--- %s, merged here ---\n" :
			     "\n--- %s, sammanslaget hit ---\n", merged.v[i]);
		rc = show_messages(store, id, s, error_r);
	}
	strlist_clear(&merged);
	return rc < 0 ? -1 : 0;
}

/* #borta ÅÅÅÅ-MM-DD (AWAY) or #tillbaka: the handler of V is away until
   that day inclusive, or back. Meanwhile nobody gives them a case, and
   the notifications of their cases go to the cases' groups, as for a
   disabled handler, though their own mail still works. Says what was
   done, or why not, into L; audited. 1 when they are away now, 2 when
   they are back now (with when they went into *SINCE_R, 0 when not
   known), 0 when nothing changed, or -1. */
static int
set_away(struct store *store, const struct mailin_verdict *v,
	 const struct command *c, bool away, bool en, struct strlist *l,
	 int64_t *since_r, char **error_r)
{
	const char *day = c->arg + strspn(c->arg, " \t");
	char last[LOCAL_DAY_SIZE], iso[LOCAL_DAY_SIZE] = "";
	char *login = NULL, *actor;
	int64_t back = 0, was = 0, now = cirm_now();
	int r, away_now;

	if (!away && *day != '\0') {
		strlist_addf(l, "  %s\n", tr(&T_NO_ARG, en ? "en" : "sv"));
		return 0;
	}
	if ((away_now = store_handler_away(store, v->handler_id, &was,
					   error_r)) < 0)
		return -1;
	r = away ? (int)away_day(day, now, 1, &back, iso) : AWAY_OK;
	if (r != AWAY_OK) {
		const char *why =
			r == AWAY_NO_DATE ? (en ? "give the last day you are "
				"away, as in #away 2026-12-20 or #away 20/12" :
				"skriv sista dagen du är borta, som i #borta "
				"2026-12-20 eller #borta 20/12") :
			/* "2026-02-30": the shape of a date, but no such
			   day */
			r == AWAY_NO_SUCH_DAY ? (en ? "there is no such day" :
				"det datumet finns inte") :
			r == AWAY_PAST ? (en ? "that day is past" :
				"den dagen har redan varit") :
			(en ? "a year ahead at most; for longer (up to two "
			 "years), ask the administrator (cirmctl handler "
			 "away)" : "högst ett år framåt; för längre (upp till "
			 "två år), be administratören (cirmctl handler "
			 "away)");

		strlist_addf(l, "  %s\n", why);
		/* refused while away: the absence as it stands */
		if (away_now > 0)
			strlist_addf(l, en ? "  You are still away up to and "
				     "including %s.\n" : "  Du är fortfarande "
				     "borta till och med %s.\n",
				     local_day(was - 1, last));
		return 0;
	}
	if (!away && away_now == 0) {
		strlist_addf(l, "  %s\n", en ? "you were not away: nothing "
			     "changed" : "du var inte borta: inget ändrades");
		return 0;
	}
	if (store_handler_set_away(store, v->handler_id, back, error_r) < 0 ||
	    store_contact_login(store, v->handler_id, &login, error_r) < 0)
		return -1;
	actor = xasprintf("mail:%s", login != NULL ? login : "?");
	/* back: since when they were away (0: not known) */
	*since_r = 0;
	r = away || login == NULL ? 0 :
		store_audit_away_since(store, login, since_r, error_r);
	if (r >= 0)
		r = store_audit_add(store, now, actor, away ? "handler.away" :
				    "handler.back", login, away ? iso : NULL,
				    error_r);
	free(actor);
	free(login);
	if (r < 0)
		return -1;
	if (!away) {
		strlist_addf(l, "  %s\n\n", en ? "Welcome back: you get "
			     "the notifications of your cases again, and may "
			     "be given cases." : "Välkommen tillbaka: du får "
			     "aviseringarna om dina ärenden igen och kan få "
			     "ärenden.");
		return 2;
	}
	/* a new day for an absence already begun */
	if (away_now > 0 && was != back) {
		char before[LOCAL_DAY_SIZE];

		strlist_addf(l, en ? "  (Before, you were away up to and "
			     "including %s.)\n" : "  (Förut var du borta till "
			     "och med %s.)\n", local_day(was - 1, before));
	}
	local_day(back - 1, last);
	strlist_addf(l, en ? "  You are away up to and including %s. Until "
		     "then nobody can give you a case, and the notifications "
		     "of your cases go to the cases' groups; your replies and "
		     "commands work as ever. On the day after you count as "
		     "back by yourself, or earlier with #back.\n\n"
		     "  Your open cases, to give to colleagues before you "
		     "go: reply to a case's notification (or to #show "
		     "NUMBER) with #assign LOGIN.\n" :
		     "  Du är borta till och med %s. Så länge kan ingen ge "
		     "dig ärenden, och aviseringarna om dina ärenden går till "
		     "ärendenas grupper; dina svar och kommandon fungerar som "
		     "vanligt. Dagen efter räknas du som tillbaka automatiskt, "
		     "eller tidigare med #tillbaka.\n\n"
		     "  Dina öppna ärenden, att ge till kollegor innan du "
		     "går: svara på ärendets avisering (eller på #visa "
		     "NUMMER) med #tilldela INLOGGNING.\n", last);
	return 1;
}

/* A case officer's mail that holds no command and belongs to no case. */
static const struct text T_NO_COMMANDS = {
	"Ditt meddelande hade inga kommandon och hörde inte till något "
	"ärende, så ingenting har gjorts med det och inget ärende har "
	"öppnats.\n\n"
	"För att svara en invånare: svara på aviseringen om ärendet. För "
	"att registrera en invånares mejl som ett ärende: vidarebefordra "
	"det hit (VB:), utan kommandon. Kommandon utan ärende skriver du "
	"överst, ett per rad:",
	"Your message had no commands and belonged to no case, so nothing "
	"was done with it and no case was opened.\n\n"
	"To answer a citizen: reply to the case's notification. To "
	"register a citizen's mail as a case: forward it here (Fwd:), "
	"without commands. Commands without a case go at the top, one a "
	"line:" },
	/* ... a forward whose sender cirm could not find */
	T_FORWARD_WHOSE = {
	"Det vidarebefordrade mejlet har inte registrerats som ett ärende: "
	"cirm kunde inte se vems det är (ingen Från-rad med en adress "
	"ovanför den vidarebefordrade texten), och inget ärende har "
	"öppnats.\n\n"
	"Vidarebefordra det igen som bilaga, eller med rubrikraderna "
	"(Från, Skickat, Ämne) kvar som e-postprogrammet skriver dem. "
	"Kommandon utan ärende skriver du överst, ett per rad:",
	"The forwarded mail was not registered as a case: cirm could not "
	"tell whose it is (no From line with an address above the "
	"forwarded text), and no case was opened.\n\n"
	"Forward it again as an attachment, or with the header lines "
	"(From, Sent, Subject) left as the mail program writes them. "
	"Commands without a case go at the top, one a line:" };

static int
handler_commands(struct mailin *mi, struct store *store,
		 struct mailin_verdict *v, struct reply *r, char **error_r)
{
	bool en = r->lang != NULL && strcmp(r->lang, "en") == 0;
	struct listing s = { .en = en, .mi = mi, .store = store };
	struct roles roles = { { 0 }, false };
	/* the one case #visa showed, which a reply may then act on */
	struct mailin_verdict shown = *v;
	int nshown = 0;
	char *body, *subject;
	int ret = 0;

	/* a case officer's mail to the case address with no command and
	   no case: what cirm can do with it instead of a case with the
	   officer as its citizen */
	if (r->ncmds == 0) {
		strlist_addf(&s.l, "%s\n\n", tr(forward_subject(
			v->msg->subject) ? &T_FORWARD_WHOSE : &T_NO_COMMANDS,
			r->lang));
		ret = caseless_help(&s.l, r->lang, mi, store, v->handler_id,
				    error_r);
	}
	for (size_t i = 0; ret == 0 && i < r->ncmds; i++) {
		const struct command *c = &r->cmds[i];
		size_t before;
		bool none = false;

		strlist_addf(&s.l, "%s%s\n", i > 0 ? "\n" : "", c->line);
		before = s.l.n;
		if (word_is(c->word, list_words)) {
			/* as the morning digest lists them: overdue first,
			   then the rest, then the groups' unassigned */
			struct digest_settings ds = {
				.state_label = list_state_label,
				.due_shown = list_due_shown, .label_ctx = &s,
			};
			int counts[4];

			/* it takes none: said, not dropped unseen (a case
			   number meant for #visa, say) */
			if (c->arg[strspn(c->arg, " \t")] != '\0')
				strlist_addf(&s.l, "  %s\n", en ?
					     "(#list takes no argument; what "
					     "follows it was left out: to see "
					     "one case, #show NUMBER)" :
					     "(#lista tar inget argument; det "
					     "som står efter togs inte med: ett "
					     "ärende visar du med #visa NUMMER)");
			before = s.l.n;
			ret = digest_list(store, &ds, v->handler_id, en, true,
					  cirm_now(), &s.l, counts, error_r);
			none = true;
		} else if ((word_is(c->word, show_words) ||
			    word_is(c->word, search_words)) &&
			   c->arg[strspn(c->arg, " \t")] == '\0') {
			/* what to give, not "no such case" or "no cases" */
			strlist_addf(&s.l, "  %s\n", word_is(c->word,
							     show_words) ?
				     (en ? "give a case number, as in #show "
					   "KS-2026-00042" :
				      "skriv ett ärendenummer, som i #visa "
				      "KS-2026-00042") :
				     (en ? "give the words to search for, as "
					   "in #search street light" :
				      "skriv orden att söka efter, som i #sök "
				      "gatlampa"));
		} else if (word_is(c->word, show_words)) {
			int64_t id;
			/* the number as copied from a subject, in its
			   brackets ("[KS-2026-00042]"), or as written */
			char *number = number_arg(mi->prefix, c->arg);
			int rc;

			if (number == NULL)
				number = xstrdup(c->arg);
			for (char *p = number; *p != '\0'; p++)
				*p = (char)toupper((unsigned char)*p);
			rc = store_case_id(store, number, &id, error_r);
			if (rc == 0)
				strlist_addf(&s.l, "  %s\n", en ?
					     "no such case" :
					     "inget sådant ärende");
			if (rc > 0 && (rc = readable(mi, store, v, &roles,
						     id, error_r)) == 0)
				strlist_addf(&s.l, "  %s\n", en ?
					     "not yours to read: neither "
					     "assigned to you nor in one of "
					     "your groups" :
					     "inte ditt att läsa: varken "
					     "tilldelat dig eller i någon av "
					     "dina grupper");
			/* read: logged before it goes out */
			if (rc > 0 && log_read(store, v, "case.read", number,
					       "by mail", error_r) < 0)
				rc = -1;
			if (rc > 0 && (rc = store_case_get(store, number,
							   show_case, &s,
							   error_r)) > 0 &&
			    (rc = show_citizen(store, id, &s, error_r)) >= 0 &&
			    (rc = show_messages(store, id, &s,
						error_r)) >= 0 &&
			    (rc = show_merged(mi, store, v, &roles, &s,
					      error_r)) >= 0 &&
			    nshown++ == 0) {
				shown.case_id = id;
				snprintf(shown.case_number,
					 sizeof(shown.case_number), "%s",
					 number);
			}
			ret = rc < 0 ? -1 : 0;
			free(number);
		} else if ((word_is(c->word, away_words) ||
			    word_is(c->word, back_words)) && !v->personal) {
			/* what changes how cases reach the officer is
			   taken where only mail from cirm leads: a From
			   alone is anyone's to write */
			char *own = mailin_own_address(mi, store,
						       v->handler_id, error_r);

			if (own == NULL) {
				ret = -1;
				break;
			}
			strlist_addf(&s.l, en ? "  not done: cirm takes #away "
				     "and #back only at your own address, %s, "
				     "so that nobody else can write them in "
				     "your name. Save it, or reply to a mail "
				     "from cirm on no case (the digest, an "
				     "answer to #list): the reply goes there. "
				     "If you did not write it, someone wrote "
				     "in your name; nothing changed.\n" :
				     "  utförs inte: #borta och #tillbaka tar "
				     "cirm bara emot på din egen adress, %s, så "
				     "att ingen annan kan skriva dem i ditt namn. "
				     "Spara den, eller svara på ett mejl från "
				     "cirm utan ärende (sammanställningen, ett "
				     "svar på #lista): svaret går dit. Skrev "
				     "du inte det här har någon skrivit i ditt "
				     "namn; ingenting har ändrats.\n", own);
			free(own);
		} else if (word_is(c->word, away_words) ||
			   word_is(c->word, back_words)) {
			int64_t since = 0;

			ret = set_away(store, v, c, word_is(c->word,
							    away_words),
				       en, &s.l, &since, error_r);
			/* back: the citizens who wrote meanwhile and wait
			   for an answer, then where all their cases stand,
			   as #lista shows */
			if (ret == 2 && since != 0) {
				size_t listed;

				strlist_addf(&s.l, "%s\n", en ? "Citizens who "
					     "wrote while you were away and "
					     "have had no answer yet:" :
					     "Invånare som skrev medan du var "
					     "borta och inte har fått svar "
					     "ännu:");
				listed = s.l.n;
				ret = store_handler_unanswered(
					store, v->handler_id, since,
					list_line, &s, error_r);
				if (ret == 0 && s.l.n == listed)
					strlist_addf(&s.l, "  %s\n", en ?
						     "(none)" : "(inga)");
				if (ret == 0) {
					strlist_addf(&s.l, "\n");
					ret = 2;
				}
			}
			if (ret == 2) {
				struct digest_settings ds = {
					.state_label = list_state_label,
					.due_shown = list_due_shown,
					.label_ctx = &s,
				};
				int counts[4];

				strlist_addf(&s.l, "%s\n", en ? "Your cases "
					     "now, as #list shows them:" :
					     "Dina ärenden nu, som #lista "
					     "visar dem:");
				before = s.l.n;
				ret = digest_list(store, &ds, v->handler_id,
						  en, true, cirm_now(), &s.l,
						  counts, error_r);
				none = true;
			}
			/* gone: what to hand over before going */
			if (ret > 0) {
				size_t listed = s.l.n;

				ret = store_handler_cases(store, v->handler_id,
							  list_line, &s,
							  error_r);
				if (ret == 0 && s.l.n == listed)
					strlist_addf(&s.l, "  %s\n", en ?
						     "(none)" : "(inga)");
			}
		} else if (word_is(c->word, search_words)) {
			ret = role_workflows(mi, store, v, &roles, error_r);
			strlist_clear(&s.numbers);
			if (ret == 0)
				ret = store_search_cases(
					store, c->arg, 50,
					mi->case_access_all ? 0 : v->handler_id,
					&roles.ids, list_line, &s, error_r);
			if (ret == 0 && s.numbers.n > 0) {
				char *nums = strlist_join(&s.numbers),
				     *detail = xasprintf("by mail: %s",
							 nums);

				ret = log_read(store, v, "case.search", NULL,
					       detail, error_r);
				free(detail);
				free(nums);
			}
			none = true;
		} else {
			bool help = word_is(c->word, help_words);
			/* a case's command is explained, not guessed at */
			const char *near = help || command_word(NULL, c->word) ?
				NULL : near_caseless(c->word, r->lang);

			if (near != NULL)
				strlist_addf(&s.l, "  %s. %s #%s?\n\n",
					     tr(&T_UNKNOWN, r->lang),
					     tr(&T_MEANT, r->lang), near);
			else if (!help)
				strlist_addf(&s.l, "  %s\n\n", en ?
					     "unknown command here; commands "
					     "on a case go in a reply to its "
					     "notification" :
					     "okänt kommando här; kommandon om "
					     "ett ärende skriver du i ett svar "
					     "på aviseringen");
			ret = caseless_help(&s.l, r->lang, mi, store,
					    v->handler_id, error_r);
		}
		/* an empty answer would look like a fault */
		if (ret == 0 && none && s.l.n == before)
			strlist_addf(&s.l, "  %s\n", en ? "no cases" :
				     "inga ärenden");
	}
	strlist_clear(&roles.ids);
	if (nshown != 1)
		shown.case_id = 0;	/* a reply could not say which */
	else if (ret == 0)
		ret = act_on_shown(mi, store, &shown, en, &s.l, error_r);
	if (ret < 0) {
		strlist_clear(&s.l);
		strlist_clear(&s.numbers);
		strlist_clear(&s.merged);
		return -1;
	}
	body = strlist_join(&s.l);
	strlist_clear(&s.numbers);
	strlist_clear(&s.merged);
	/* named by the case #visa showed, when one was: the handler's
	   mailbox then shows which case the answer is about */
	subject = nshown == 1 ? xasprintf("%s [%s]", en ? "Your commands" :
					  "Dina kommandon", shown.case_number) :
		xstrdup(en ? "Your commands" : "Dina kommandon");
	/* signed for the case #visa showed, if one may act on it */
	ret = mail_handler(mi, store, shown.case_id != 0 ? &shown : v,
			   r->address, subject, body, error_r);
	free(subject);
	free(body);
	return ret;
}

/* Why a handler's mail was set aside, and what the handler can do. */
static const struct text T_ASIDE_SUBJECT = {
	"Ditt meddelande har inte behandlats",
	"Your message was not processed" },
	T_ASIDE_INTRO = {
	"Ditt meddelande till cirm har lagts åt sidan i karantänen. "
	"Ingenting har ändrats i något ärende och ingenting har skickats "
	"till invånaren.",
	"Your message to cirm was set aside in the quarantine. Nothing has "
	"changed on any case and nothing was sent to the citizen." },
	/* a mail in the handler's name from another address: not theirs */
	T_ASIDE_OTHER_SUBJECT = {
	"Ett svar från en annan adress har inte behandlats",
	"A reply from another address was not processed" },
	T_ASIDE_OTHER_INTRO = {
	"Ett meddelande till svarsadressen i en avisering till dig kom från "
	"en annan adress än din och har lagts åt sidan i karantänen. "
	"Ingenting har ändrats i något ärende och ingenting har skickats "
	"till invånaren.",
	"A message to the reply address of a notification sent to you came "
	"from another address than yours and was set aside in the "
	"quarantine. Nothing has changed on any case and nothing was sent "
	"to the citizen." },
	/* ... or to the handler's own cirm address (mailin_own_address) */
	T_ASIDE_OWN_OTHER_SUBJECT = {
	"Ett meddelande från en annan adress har inte behandlats",
	"A message from another address was not processed" },
	T_ASIDE_OWN_OTHER_INTRO = {
	"Ett meddelande till din egen cirm-adress kom från en annan adress "
	"än din och har lagts åt sidan i karantänen. Ingenting har ändrats "
	"och ingenting har skickats.",
	"A message to your own cirm address came from another address than "
	"yours and was set aside in the quarantine. Nothing has changed and "
	"nothing was sent." },
	T_ASIDE_WHY = { "Varför", "Why" },
	T_ASIDE_WHAT = { "Vad du kan göra", "What you can do" };

/* T_ASIDE's two for mail to a handler's own cirm address, where they
   differ: to a colleague's, and to one's own from another sender. */
static const struct text T_ASIDE_OWN_OTHERS[2] = {
	{ "Du skrev till en annan handläggares egen cirm-adress; den tar "
	  "bara emot kommandon från den handläggaren.",
	  "You wrote to another case officer's own cirm address; it takes "
	  "commands from that case officer only." },
	{ "Skriv till din egen adress: svara på ett mejl från cirm till dig "
	  "utan ärende, som sammanställningen.",
	  "Write to your own address: reply to a mail from cirm to you on "
	  "no case, such as the digest." } },
	T_ASIDE_OWN_OTHER_SENDER[2] = {
	{ "Ett meddelande till din egen cirm-adress kom från en annan adress "
	  "än den cirm har för dig, så cirm kan inte se att det var du som "
	  "skrev.",
	  "A message to your own cirm address came from another address "
	  "than the one cirm has for you, so cirm cannot tell it was you "
	  "who wrote." },
	{ "Var det du: skriv från adressen som cirm har för dig, eller be "
	  "administratören byta den (cirmctl handler set). Var det inte du "
	  "har någon annan fått din egen adress: säg till administratören.",
	  "If it was you: write from the address cirm has for you, or ask "
	  "the administrator to change it (cirmctl handler set). If it was "
	  "not, someone else has your own address: tell the "
	  "administrator." } };

/* T_ASIDE's BAD_TOKEN for an own cirm address */
static const struct text T_ASIDE_OWN_BAD[2] = {
	{ "Meddelandet kom till en adress av samma slag som din egen "
	  "cirm-adress men vars signatur inte stämmer: den gjordes innan "
	  "cirms nyckel byttes, eller så har den ändrats på vägen.",
	  "The message came to an address of the kind of your own cirm "
	  "address whose signature does not hold: it was made before "
	  "cirm's key was changed, or it was altered on the way." },
	{ "Skriv till din egen adress som den är nu: svara på ett nyare mejl "
	  "från cirm till dig utan ärende, som sammanställningen, eller be "
	  "administratören om den (cirmctl handler address).",
	  "Write to your own address as it is now: reply to a newer mail "
	  "from cirm to you on no case, such as the digest, or ask the "
	  "administrator for it (cirmctl handler address)." } };

/* What a handler notified for their information (a group's member, or
   one named by login) is told to do instead of commands. */
#define ANSWER_WITHOUT_COMMANDS \
	{ "Svara på aviseringen utan kommandon: svaret sparas då i " \
	  "ärendet som en anteckning, som inte går till invånaren, " \
	  "och ärendets handläggare får det. Ska du arbeta med " \
	  "ärendet: be dess handläggare eller administratören att " \
	  "tilldela dig det.", \
	  "Answer the notification without commands: the answer is " \
	  "then kept on the case as a note, which does not go to the " \
	  "citizen, and the case officer gets it. If you are to work " \
	  "on the case: ask its case officer or the administrator to " \
	  "assign it to you." }

static const struct text T_ASIDE[][2] = {
	[MAILIN_NOTICE_OVERSIZE] = {
		{ "Meddelandet är större än cirm tar emot (mail_max_size).",
		  "The message is larger than cirm takes (mail_max_size)." },
		{ "Skicka det igen med mindre eller färre bilagor, eller dela "
		  "upp det på flera svar.",
		  "Send it again with smaller or fewer attachments, or split "
		  "it over several replies." } },
	[MAILIN_NOTICE_NO_TOKEN] = {
		{ "Meddelandet kom inte till den signerade svarsadress som "
		  "aviseringen om ärendet har, så cirm kan inte se att det är "
		  "ditt svar som handläggare: det skulle ha räknats som "
		  "invånarens.",
		  "The message did not come to the signed reply address of "
		  "the case's notification, so cirm cannot tell it is your "
		  "answer as a case officer: it would have counted as the "
		  "citizen's." },
		{ "Svara på aviseringen om ärendet med Svara (inte "
		  "Vidarebefordra eller ett nytt mejl), så att svarsadressen "
		  "följer med.",
		  "Answer the case's notification with Reply (not Forward or "
		  "a new mail), so that its reply address goes along." } },
	[MAILIN_NOTICE_OTHERS_TOKEN] = {
		{ "Du svarade på en avisering som skickades till en annan "
		  "handläggare; dess svarsadress gäller bara för den "
		  "handläggaren.",
		  "You answered a notification sent to another case officer; "
		  "its reply address works for that case officer only." },
		{ "Svara på en avisering som skickats till dig, eller be "
		  "ärendets handläggare eller administratören att tilldela "
		  "dig ärendet.",
		  "Answer a notification sent to you, or ask the case's "
		  "officer or the administrator to assign the case to you." } },
	[MAILIN_NOTICE_AUTH] = {
		{ "Den mottagande e-postservern kunde inte bekräfta att "
		  "meddelandet kom från din adress (SPF, DKIM och DMARC gav "
		  "inte godkänt).",
		  "The receiving mail server could not confirm that the "
		  "message came from your address (SPF, DKIM and DMARC did "
		  "not pass)." },
		{ "Skickade du det: be administratören se över "
		  "e-postinställningarna. Skickade du det inte har någon "
		  "skrivit i ditt namn: säg till administratören.",
		  "If you sent it: ask the administrator to look at the mail "
		  "settings. If you did not, someone wrote in your name: "
		  "tell the administrator." } },
	[MAILIN_NOTICE_AUTH_SERVER] = {
		{ "Den mottagande e-postservern gick inte i god för att "
		  "meddelandet kom från din adress: meddelandet saknar dess "
		  "kontroll (Authentication-Results från den server som "
		  "mail_auth_server anger).",
		  "The receiving mail server did not vouch that the message "
		  "came from your address: the message lacks its check "
		  "(Authentication-Results of the server mail_auth_server "
		  "names)." },
		{ "Säg till administratören: är alla svar satta åt sidan "
		  "ska mail_auth_server ses över, den kan vara felstavad. "
		  "Skickade du det inte har någon skrivit i ditt namn.",
		  "Tell the administrator: if every reply is set aside, "
		  "mail_auth_server should be checked, it may be misspelt. "
		  "If you did not send it, someone wrote in your name." } },
	[MAILIN_NOTICE_DISABLED] = {
		{ "Adressen hör till en handläggare som är avstängd i cirm.",
		  "The address belongs to a case officer who is disabled in "
		  "cirm." },
		{ "Ska du arbeta med ärenden igen: be administratören "
		  "aktivera dig (cirmctl handler enable).",
		  "If you are to work on cases again: ask the administrator "
		  "to enable you (cirmctl handler enable)." } },
	[MAILIN_NOTICE_OTHER_SENDER] = {
		{ "Ett svar på en avisering som skickades till dig kom från "
		  "en annan adress än den cirm har för dig, så cirm kan inte "
		  "se att det var du som skrev.",
		  "A reply to a notification sent to you came from another "
		  "address than the one cirm has for you, so cirm cannot "
		  "tell it was you who wrote." },
		{ "Var det du: svara från adressen som cirm har för dig, "
		  "eller be administratören byta den (cirmctl handler set). "
		  "Var det inte du har någon annan fått aviseringen, till "
		  "exempel vidarebefordrad: säg till administratören.",
		  "If it was you: reply from the address cirm has for you, "
		  "or ask the administrator to change it (cirmctl handler "
		  "set). If it was not, someone else has the notification, "
		  "forwarded perhaps: tell the administrator." } },
	[MAILIN_NOTICE_BAD_TOKEN] = {
		{ "Meddelandet kom till en svarsadress för handläggare vars "
		  "signatur inte stämmer: aviseringen du svarade på skickades "
		  "innan cirms nyckel byttes, eller så har adressen ändrats "
		  "på vägen.",
		  "The message came to a case officer's reply address whose "
		  "signature does not hold: the notification you answered "
		  "was sent before cirm's key was changed, or the address was "
		  "altered on the way." },
		{ "Svara på en nyare avisering om ärendet om du har en; "
		  "annars: säg till administratören.",
		  "Answer a newer notification on the case if you have one; "
		  "if not, tell the administrator." } },
	[MAILIN_NOTICE_FAILED] = {
		{ "cirm kunde inte behandla meddelandet, inte heller när det "
		  "försökte igen. Felet ligger hos cirm eller dess "
		  "inställningar, inte i ditt meddelande.",
		  "cirm could not process the message, nor when it tried "
		  "again. The fault lies with cirm or its settings, not with "
		  "your message." },
		{ "Ditt svar har inte nått ärendet, och ingen har fått "
		  "det. Säg till administratören och ge karantänens nummer; "
		  "skicka annars svaret igen senare. Skickade du inte "
		  "meddelandet har någon skrivit i ditt namn: säg det också.",
		  "Your answer has not reached the case, and nobody has got "
		  "it. Tell the administrator, with the quarantine's number; "
		  "or else send the answer again later. If you did not send "
		  "the message, someone wrote in your name: say that too." } },
	[MAILIN_NOTICE_FORWARD_OURS] = {
		{ "Du vidarebefordrade till ärendeadressen ett meddelande "
		  "som cirm själv har skickat (en avisering eller ett svar). "
		  "Det registreras inte som ett nytt ärende, och ingenting "
		  "har ändrats i något ärende.",
		  "You forwarded to the case address a message that cirm "
		  "itself sent (a notification or an answer). It is not "
		  "registered as a new case, and nothing has changed on any "
		  "case." },
		{ "Ska en kollega ta ärendet: svara på aviseringen med till "
		  "exempel #tilldela och kollegans användarnamn överst. Vill "
		  "du lämna en anteckning till kollegerna: svara med "
		  "#notering överst.",
		  "To have a colleague take the case: reply to the "
		  "notification with, for example, #assign and the "
		  "colleague's login at the top. To leave a note for your "
		  "colleagues: reply with #note at the top." } },
	[MAILIN_NOTICE_FORWARD_OFFICER] = {
		{ "Det vidarebefordrade meddelandets avsändare är en "
		  "handläggare. Ett vidarebefordrat meddelande registreras "
		  "som avsändarens eget, och cirm kan inte se att en "
		  "handläggare skrev det: det öppnar inget ärende och utför "
		  "inga kommandon.",
		  "The forwarded message's sender is a case officer. A "
		  "forwarded message is registered as its sender's own, and "
		  "cirm cannot tell that a case officer wrote it: it opens "
		  "no case and runs no commands." },
		{ "Gäller det en invånares ärende: vidarebefordra "
		  "invånarens eget meddelande. Är det kollegans fråga eller "
		  "kommando: be kollegan skicka det själv, som svar på en "
		  "avisering.",
		  "If it is a citizen's matter: forward the citizen's own "
		  "message. If it is your colleague's question or command: "
		  "ask the colleague to send it themselves, as a reply to a "
		  "notification." } },
	[MAILIN_NOTICE_OLD_ADDRESS] = {
		{ "Meddelandet kom till din egen cirm-adress som den var "
		  "innan administratören bytte ut den. Den gamla adressen tas "
		  "inte emot längre, eftersom någon annan kan ha fått den.",
		  "The message came to your own cirm address as it was "
		  "before the administrator replaced it. The old address is "
		  "no longer taken, since someone else may have it." },
		{ "Skicka det igen till din egen adress som den är nu: svara "
		  "på det här mejlet, eller på ett nyare mejl från cirm till "
		  "dig utan ärende, som sammanställningen.",
		  "Send it again to your new own address: reply to this "
		  "mail, or to a newer mail from cirm to you on no case, "
		  "such as the digest." } },
	[MAILIN_NOTICE_NOT_READABLE] = {
		{ "Ärendet är inte ditt att arbeta med: det är varken "
		  "tilldelat dig eller i någon av dina grupper. En avisering "
		  "du fått om det kan ha kommit före ett gruppbyte; den ger "
		  "dig inte ärendet.",
		  "The case is not yours to work on: it is neither assigned "
		  "to you nor in one of your groups. A notification you got "
		  "about it may have come before a change of groups; it does "
		  "not give you the case." },
		{ "Ska du arbeta med ärendet: be dess handläggare eller "
		  "administratören att tilldela dig det. Vill du bara svara "
		  "på aviseringen: skriv direkt till den som handlägger "
		  "ärendet (eller till administratören om ingen gör det).",
		  "If you are to work on the case: ask its case officer or "
		  "the administrator to assign it to you. If you only want to "
		  "answer the notification: write directly to whoever handles "
		  "the case (or to the administrator if nobody does)." } },
	[MAILIN_NOTICE_GROUP_COMMANDS] = {
		{ "Ärendet är inte ditt att arbeta med: arbetsflödet "
		  "aviserade din grupp om det för kännedom (till exempel en "
		  "remiss), och det ger inga kommandon på ärendet.",
		  "The case is not yours to work on: the workflow notified "
		  "your group of it for its information (a referral, say), "
		  "and that gives no commands on the case." },
		ANSWER_WITHOUT_COMMANDS },
	[MAILIN_NOTICE_NAMED_COMMANDS] = {
		{ "Ärendet är inte ditt att arbeta med: arbetsflödet "
		  "aviserade dig om det för kännedom (till exempel en "
		  "remiss), och det ger inga kommandon på ärendet.",
		  "The case is not yours to work on: the workflow notified "
		  "you of it for your information (a referral, say), and "
		  "that gives no commands on the case." },
		ANSWER_WITHOUT_COMMANDS },
	[MAILIN_NOTICE_GROUP_EMPTY] = {
		{ "Ditt svar på aviseringen var tomt: det hade ingen text "
		  "och inga filer, så det finns inte i ärendet.",
		  "Your answer to the notification was empty: it had no text "
		  "and no files, so it is not on the case." },
		{ "Skriv svaret ovanför det citerade meddelandet och skicka "
		  "det igen.",
		  "Write your answer above the quoted message and send it "
		  "again." } },
};

int
mailin_handler_set_aside(struct mailin *mi, struct store *store,
			 const struct store_inbox_row *row,
			 const struct mailin_verdict *v, int64_t *qid_r,
			 char **error_r)
{
	struct mailin_verdict own = *v;
	const struct text *aside;
	struct strlist l = { 0 };
	char *kind = NULL, *lang = NULL, *subject, *body, when[LOCAL_MINUTE_SIZE];
	char *to = NULL;
	char *subj;
	const char *what;
	bool en;
	int ret;

	if (v->notice <= MAILIN_NOTICE_NONE ||
	    (size_t)v->notice >= N_ELEMENTS(T_ASIDE)) {
		*error_r = xstrdup("set-aside notice of an unknown kind");
		return -1;
	}
	/* to a handler's own cirm address, no notification's */
	aside = v->notice == MAILIN_NOTICE_BAD_TOKEN && v->forged_token == 2 ?
		T_ASIDE_OWN_BAD : !v->personal ? T_ASIDE[v->notice] :
		v->notice == MAILIN_NOTICE_OTHERS_TOKEN ? T_ASIDE_OWN_OTHERS :
		v->notice == MAILIN_NOTICE_OTHER_SENDER ?
		T_ASIDE_OWN_OTHER_SENDER : T_ASIDE[v->notice];
	if (store_inbox_quarantine_keyed(store, row->id, v->reason,
					 v->dedupe_key, cirm_now(), qid_r,
					 error_r) < 0 ||
	    store_contact_kind(store, v->notify_id, &kind, &lang,
			       error_r) < 0) {
		free(kind);
		free(lang);
		return -1;
	}
	/* the sender, or for mail from another address (or a forward,
	   whose sender is now the forwarded mail's) the handler's own,
	   when the handler is still active */
	if (v->notice == MAILIN_NOTICE_OTHER_SENDER ||
	    v->notice == MAILIN_NOTICE_FORWARD_OURS ||
	    v->notice == MAILIN_NOTICE_FORWARD_OFFICER) {
		int64_t id = 0;
		bool handler = false, active = false;
		int rc = store_contact_first(store, v->notify_id, "email", &to,
					     error_r);

		if (rc > 0)
			rc = store_contact_find_full(store, "email", to, &id,
						     &handler, &active,
						     error_r);
		if (rc <= 0 || id != v->notify_id || !handler || !active) {
			free(to);
			free(kind);
			free(lang);
			return rc < 0 ? -1 : 0;
		}
	} else {
		to = xstrdup(v->sender);
	}
	en = lang != NULL && strcmp(lang, "en") == 0;
	local_minute(row->received_at, when);
	subj = text_excerpt(v->msg->subject != NULL ? v->msg->subject : "",
			    CASEFLOW_SUBJECT_SHOWN);
	strlist_addf(&l, "%s\n\n", tr(v->notice != MAILIN_NOTICE_OTHER_SENDER ?
					&T_ASIDE_INTRO : v->personal ?
					&T_ASIDE_OWN_OTHER_INTRO :
					&T_ASIDE_OTHER_INTRO, lang));
	strlist_addf(&l, en ? "Subject: %s\nReceived: %s\nQuarantine: "
		     "number %lld\n" : "Ämne: %s\nMottaget: %s\nKarantän: "
		     "nummer %lld\n", subj, when, (long long)*qid_r);
	free(subj);
	strlist_addf(&l, "\n%s: %s", tr(&T_ASIDE_WHY, lang),
		     tr(&aside[0], lang));
	if (v->notice == MAILIN_NOTICE_OVERSIZE)
		strlist_addf(&l, en ? " It is %s bytes; the limit is %zu." :
			     " Det är på %s byte; gränsen är %zu.",
			     v->msg->headers[0].value, mi->limits.max_size);
	if (v->notice == MAILIN_NOTICE_OTHER_SENDER)
		strlist_addf(&l, en ? " It came from %s; cirm has %s." :
			     " Det kom från %s; cirm har %s.", v->sender, to);
	/* the address to write to now: this notice's Reply-To too */
	if (v->notice == MAILIN_NOTICE_OLD_ADDRESS) {
		char *now = mailin_own_address(mi, store, v->notify_id,
					       error_r);

		if (now == NULL) {
			strlist_clear(&l);
			free(to);
			free(kind);
			free(lang);
			return -1;
		}
		strlist_addf(&l, en ? " Your own address is now %s." :
			     " Din egen adress är nu %s.", now);
		free(now);
	}
	/* the error itself is the administrator's (it may name the
	   server's files) */
	if (v->notice == MAILIN_NOTICE_FAILED)
		strlist_addf(&l, en ? " The administrator sees the error with "
			     "cirmctl quarantine show %lld." : " Administratören "
			     "ser felet med cirmctl quarantine show %lld.",
			     (long long)*qid_r);
	strlist_addf(&l, "\n\n%s: %s\n\n", tr(&T_ASIDE_WHAT, lang),
		     tr(&aside[1], lang));
	/* not for mail to an address that no longer takes any: released,
	   it would be set aside again */
	if (v->notice != MAILIN_NOTICE_OLD_ADDRESS &&
	    v->notice != MAILIN_NOTICE_BAD_TOKEN)
		strlist_addf(&l, en ? "The administrator can release the "
			     "message from the quarantine (cirmctl quarantine "
			     "release %lld) once the cause is dealt with.\n" :
			     "Administratören kan släppa meddelandet ur "
			     "karantänen (cirmctl quarantine release %lld) när "
			     "orsaken är åtgärdad.\n", (long long)*qid_r);
	body = strlist_join(&l);
	what = tr(v->notice != MAILIN_NOTICE_OTHER_SENDER ? &T_ASIDE_SUBJECT :
		  v->personal ? &T_ASIDE_OWN_OTHER_SUBJECT :
		  &T_ASIDE_OTHER_SUBJECT, lang);
	subject = v->case_number[0] != '\0' ?
		xasprintf("%s [%s]", what, v->case_number) : xstrdup(what);
	/* no signed Reply-To: the mail was not a handler's action (and
	   the handler a token named may be another than the one told);
	   but the officer's own address as it is now when the officer
	   wrote to an old one */
	own.case_id = 0;
	own.handler_id = v->notice == MAILIN_NOTICE_OLD_ADDRESS ?
		v->notify_id : 0;
	ret = mail_handler(mi, store, &own, to, subject, body, error_r);
	free(subject);
	free(body);
	free(to);
	free(kind);
	free(lang);
	return ret;
}

int
mailin_handler_apply(struct mailin *mi, struct store *store,
		     const struct store_inbox_row *row,
		     struct mailin_verdict *v, char **error_r)
{
	struct reply r = { 0 };
	char *kind = NULL;
	int ret;

	if (mi->flow == NULL) {
		*error_r = xstrdup("no workflows loaded");
		return -1;
	}
	if (store_contact_kind(store, v->handler_id, &kind, &r.lang,
			       error_r) < 0)
		return -1;
	free(kind);
	r.address = xstrdup(v->sender);
	if (v->kind == MAILIN_HANDLER_COMMAND) {
		/* the commands are the handler's own words, above any mail
		   forwarded under them, whose lines are its writer's */
		char *own = v->stripped != NULL ?
			xstrndup(v->stripped,
				 forward_inline_at(v->stripped)) : NULL;

		parse_all(own, &r);
		free(own);
		ret = handler_commands(mi, store, v, &r, error_r);
	} else {
		parse(v->stripped, &r);
		/* as parse() read it (the officer's own quotes kept or
		   not, the text ends at the same line) */
		if (v->signature != NULL)
			r.delimited_signature = xstrdup(v->signature);
		ret = handler_reply(mi, store, row, v, &r, error_r);
	}
	reply_clear(&r);
	return ret;
}

/* Whether case officer ID works here (an enabled handler with a mail
   address): 1 with *PRESENT_R (not away), 0, -1. */
static int
officer_here(struct store *store, int64_t id, bool *present_r,
	     char **error_r)
{
	char *addr = NULL;
	bool en = false, handler = false, active = false;
	int64_t found = 0, until = 0;
	int rc = store_officer_mail(store, id, &addr, &en, error_r);

	if (rc > 0 &&
	    store_contact_find_full(store, "email", addr, &found, &handler,
				    &active, error_r) < 0)
		rc = -1;
	free(addr);
	if (rc > 0)
		rc = handler && active && found == id;
	if (rc > 0) {
		int away = store_handler_away(store, id, &until, error_r);

		if (away < 0)
			return -1;
		*present_r = away == 0;
	}
	return rc;
}

/* Who on case CASE_ID is told of what came for it (a forward's answer
   or failure, a notified group's answer): FIRST (the officer who
   forwarded it; 0: none) when present, else its case officer when
   present, else the present members of its group, else the first of
   the two that still works here, away or not (they read it when back).
   Into *TO. 0, or -1. */
static int
case_readers(struct store *store, int64_t case_id, int64_t first,
	     struct members *to, char **error_r)
{
	struct store_case_flow f = { 0 };
	struct members group = { NULL, 0 };
	int64_t two[2] = { first, 0 }, group_id = 0, away = 0;
	int rc = store_case_flow_get(store, case_id, &f, error_r);

	if (rc > 0) {
		two[1] = f.assignee_id;
		group_id = f.group_id;
	}
	store_case_flow_clear(&f);
	for (size_t i = 0; rc >= 0 && i < N_ELEMENTS(two); i++) {
		bool present = false;

		if (two[i] == 0 ||
		    (rc = officer_here(store, two[i], &present, error_r)) <= 0)
			continue;
		if (present) {
			collect_member(two[i], NULL, to);
			return 0;
		}
		if (away == 0)
			away = two[i];
	}
	if (rc >= 0 && group_id != 0)
		rc = store_group_emails(store, group_id, collect_member, &group,
					error_r);
	for (size_t i = 0; rc >= 0 && i < group.n; i++) {
		int64_t until = 0;

		if ((rc = store_handler_away(store, group.ids[i], &until,
					     error_r)) == 0)
			collect_member(group.ids[i], NULL, to);
	}
	free(group.ids);
	if (rc < 0)
		return -1;
	if (to->n == 0 && away != 0)
		collect_member(away, NULL, to);
	return 0;
}

/* The first MAX lines of TEXT, and "[...]" below them when there were
   more. Newly allocated. */
static char *
first_lines(const char *text, size_t max)
{
	const char *p = text;

	for (size_t n = 0; n < max && p != NULL; n++) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL || p[strspn(p, " \t\r\n")] == '\0')
		return xstrdup(text);
	return xasprintf("%.*s[...]", (int)(p - text), text);
}

/* What was forwarded, for the notices on it: by whom, to whom, when,
   and the officer's text (its first lines), so that a colleague who
   reads the answer knows what was asked. */
static char *
forward_asked(const struct store_forward *fw, bool en)
{
	char when[LOCAL_MINUTE_SIZE];
	char *text = first_lines(fw->text, 12), *out;

	local_minute(fw->at, when);
	out = xasprintf(en ? "%s%sforwarded the case to %s on %s:\n\n%s\n" :
			"%s%svidarebefordrade ärendet till %s den %s:\n\n%s\n",
			fw->by[0] != '\0' ? fw->by : "",
			fw->by[0] != '\0' ? " " : en ? "A case officer " :
			"En handläggare ", fw->address, when, text);
	free(text);
	return out;
}

/* Mails each of the readers of V's case (case_readers, FIRST first):
   TITLE with the case tag and SUBJECT, what HEAD gives them, then the
   commands that apply to the case now, with a Reply-To signed for
   them; the files of FILES_OF (0: none) attached. HEAD(en, ctx) gives
   the text in English or Swedish (caller frees). 1, 0 when nobody
   could be told (said in the log as being told WHAT), -1. */
static int
tell_readers(struct mailin *mi, struct store *store,
	     const struct mailin_verdict *v, int64_t first,
	     const char *subject, const struct text *title,
	     char *(*head)(bool en, const void *ctx), const void *ctx,
	     int64_t files_of, const char *what, char **error_r)
{
	struct members to = { NULL, 0 };
	int rc = case_readers(store, v->case_id, first, &to, error_r);

	for (size_t i = 0; rc >= 0 && i < to.n; i++) {
		struct mailin_verdict on = *v;
		char *addr = NULL, *help = NULL, *text, *body, *subj;
		bool en = false;

		if ((rc = store_officer_mail(store, to.ids[i], &addr, &en,
					     error_r)) <= 0)
			continue;
		/* signed for each officer on the case */
		on.handler_id = to.ids[i];
		rc = caseflow_commands_now(mi->flow, store, v->case_id,
					   to.ids[i], en, &help, error_r);
		text = head(en, ctx);
		body = xasprintf("%s\n%s%s", text, help == NULL ?
				 (en ? "The case is closed: a reply to this "
				  "mail takes only #note and #category.\n" :
				  "Ärendet är avslutat: ett svar på det här "
				  "mejlet tar bara #notering och #kategori.\n") :
				 en ? "The text of a reply to this mail goes to "
				 "the citizen; with #note at the top it stays "
				 "on the case. Commands that apply now:\n\n" :
				 "Texten i ett svar på det här mejlet går till "
				 "invånaren; med #notering överst stannar den i "
				 "ärendet. Kommandon som gäller nu:\n\n",
				 help != NULL ? help : "");
		subj = xasprintf("%s [%s] %s", tr(title, en ? "en" : "sv"),
				 v->case_number, subject);
		if (rc >= 0)
			rc = mail_officer_files(mi, store, &on, to.ids[i],
						false, addr, subj, body,
						files_of, error_r);
		free(subj);
		free(body);
		free(text);
		free(help);
		free(addr);
	}
	free(to.ids);
	if (rc < 0)
		return -1;
	if (to.n == 0)
		/* kept on the case, where the next notification's history
		   and #visa show it */
		log_warnx("case %s: no case officer to tell of %s",
			  v->case_number, what);
	return to.n > 0;
}

/* HEAD's text, then what forward FW asked: tell_forward_readers. */
struct forward_head {
	char *(*head)(bool en, const void *ctx);
	const void *ctx;
	const struct store_forward *fw;
};

static char *
forward_head(bool en, const void *ctx)
{
	const struct forward_head *h = ctx;
	char *text = h->head(en, h->ctx), *asked = forward_asked(h->fw, en);
	char *out = xasprintf("%s\n%s", text, asked);

	free(text);
	free(asked);
	return out;
}

/* tell_readers for forward FW: its officer first, and what was
   forwarded below HEAD's text. */
static int
tell_forward_readers(struct mailin *mi, struct store *store,
		     const struct mailin_verdict *v,
		     const struct store_forward *fw, const struct text *title,
		     char *(*head)(bool en, const void *ctx), const void *ctx,
		     int64_t files_of, char **error_r)
{
	struct forward_head h = { head, ctx, fw };

	return tell_readers(mi, store, v, fw->handler_id, fw->subject, title,
			    forward_head, &h, files_of, "a forward", error_r);
}

struct outside_answer {
	const struct mailin_verdict *v;
	const struct store_forward *fw;
};

bool
mailin_has_files(const struct mime_message *m)
{
	for (size_t i = 0; m != NULL && i < m->nparts; i++)
		if (m->parts[i].role == MIME_PART_ATTACHMENT)
			return true;
	return false;
}

/* Under an answer the case's officers are told of: that its files are
   attached, when M has any, else "" (static). */
static const char *
answer_files(const struct mime_message *m, bool en)
{
	return !mailin_has_files(m) ? "" : en ?
		"\n(With the files they sent, attached.)\n" :
		"\n(Med filerna de skickade, bifogade.)\n";
}

static char *
outside_answer_head(bool en, const void *ctx)
{
	const struct outside_answer *a = ctx;
	const struct mime_message *m = a->v->msg;
	const char *text = a->v->stripped != NULL ? a->v->stripped : "";
	/* "Kalle Drift <kalle@drift.example>", as their mail names them */
	char *who = m != NULL && m->from.name != NULL &&
		m->from.name[0] != '\0' ?
		xasprintf("%s <%s>", m->from.name, a->v->sender) :
		xstrdup(a->v->sender);
	char *out;

	if (a->v->kind == MAILIN_AUTO_REPLY)
		out = xasprintf(en ? "An automatic reply (away, or the like) "
				"came from %s: nobody there may have read what "
				"was forwarded yet. It has not gone to the "
				"citizen.\n\n%s\n" :
				"Ett automatiskt svar (frånvaro eller liknande) "
				"kom från %s: där har kanske ingen läst det som "
				"vidarebefordrades än. Det har inte gått till "
				"invånaren.\n\n%s\n", who, text);
	else
		out = xasprintf(en ? "%s has answered. The answer is kept on "
				"the case and has NOT gone to the citizen.\n\n"
				"%s\n%s" :
				"%s har svarat. Svaret finns i ärendet och har "
				"INTE gått till invånaren.\n\n%s\n%s", who,
				text[0] != '\0' ? text : en ? "(no text)" :
				"(ingen text)", answer_files(m, en));
	free(who);
	return out;
}

static const struct text T_OUTSIDE_SUBJECT = { "Svar utifrån",
					       "Answer from outside" },
	T_OUTSIDE_AUTO_SUBJECT = { "Automatiskt svar utifrån",
				   "Automatic reply from outside" };

int
mailin_outside_answer(struct mailin *mi, struct store *store,
		      const struct mailin_verdict *v, int64_t message_id,
		      char **error_r)
{
	struct store_forward fw = { 0 };
	struct outside_answer a = { v, &fw };
	int rc = store_forward_get(store, v->forward_id, &fw, error_r);

	/* the files they sent, as a notification carries the citizen's */
	if (rc > 0)
		rc = tell_forward_readers(mi, store, v, &fw,
					  v->kind == MAILIN_AUTO_REPLY ?
					  &T_OUTSIDE_AUTO_SUBJECT :
					  &T_OUTSIDE_SUBJECT,
					  outside_answer_head, &a, message_id,
					  error_r);
	store_forward_clear(&fw);
	return rc < 0 ? -1 : 0;
}

struct group_answer {
	const struct mailin_verdict *v;
	const char *name;	/* of who answered */
};

const char *
mailin_group_answer_text(const struct mailin_verdict *v)
{
	return v->interleaved != NULL ? v->interleaved :
		v->stripped != NULL ? v->stripped : "";
}

static char *
group_answer_head(bool en, const void *ctx)
{
	const struct group_answer *a = ctx;
	const struct mime_message *m = a->v->msg;
	const char *text = mailin_group_answer_text(a->v);
	const char *from = a->v->merged_from;
	/* the notification was of a case merged into this one since */
	char *merged = from[0] == '\0' ? xstrdup("") :
		xasprintf(en ? " The notification they answered was of %s, "
			  "which has been merged into this case since." :
			  " Aviseringen de svarade på gällde %s, som har "
			  "slagits ihop med det här ärendet sedan dess.",
			  from);
	/* notified by login: no group to name */
	char *who = a->v->answer_named ?
		xasprintf(en ? "%s, whom the workflow notified of the case," :
			  "%s, som arbetsflödet aviserade om ärendet,",
			  a->name) :
		xasprintf(en ? "%s, of group %s, which the workflow notified," :
			  "%s, i gruppen %s som arbetsflödet aviserade,",
			  a->name, a->v->answer_group);
	char *head = xasprintf(en ? "%s has answered. The answer is kept on "
			       "the case as a note and has NOT gone to the "
			       "citizen.%s\n\n%s\n%s" :
			       "%s har svarat. Svaret finns i ärendet som en "
			       "anteckning och har INTE gått till invånaren."
			       "%s\n\n%s\n%s",
			       who, merged,
			       text[0] != '\0' ? text :
			       en ? "(no text)" : "(ingen text)",
			       answer_files(m, en));

	free(who);
	free(merged);
	return head;
}

static const struct text T_GROUP_ANSWER_SUBJECT = { "Svar från gruppen",
						    "Answer from group" };
static const struct text T_NAMED_ANSWER_SUBJECT = {
	"Svar på aviseringen från", "Answer to the notification from" };

int
mailin_group_answer(struct mailin *mi, struct store *store,
		    const struct mailin_verdict *v, int64_t message_id,
		    char **error_r)
{
	struct store_case_flow f = { 0 };
	char *name = NULL;
	struct group_answer a = { v, NULL };
	int rc = store_contact_name(store, v->handler_id, &name, error_r);
	/* "Svar från gruppen miljö [KS-...] Bullret"; "Svar på
	   aviseringen från Olle Ek [KS-...] Bullret" */
	const struct text *t = v->answer_named ? &T_NAMED_ANSWER_SUBJECT :
		&T_GROUP_ANSWER_SUBJECT;
	const char *whom = !v->answer_named ? v->answer_group :
		name != NULL ? name : v->sender;
	struct text title = {
		xasprintf("%s %s", t->sv, whom),
		xasprintf("%s %s", t->en, whom),
	};

	if (rc >= 0)
		rc = store_case_flow_get(store, v->case_id, &f, error_r);
	a.name = name != NULL ? name : v->sender;
	if (rc > 0)
		rc = tell_readers(mi, store, v, 0, f.subject != NULL ?
				  f.subject : "", &title, group_answer_head,
				  &a, message_id, "a notified group's answer",
				  error_r);
	store_case_flow_clear(&f);
	free((char *)title.sv);
	free((char *)title.en);
	free(name);
	return rc < 0 ? -1 : 0;
}

struct forward_failure {
	const struct store_forward *fw;
	const char *reason;
};

static char *
forward_failed_head(bool en, const void *ctx)
{
	const struct forward_failure *f = ctx;

	return xasprintf(en ? "What was forwarded to %s could not be "
			 "delivered. The mail server said:\n\n%s\n\n"
			 "A wrong address, a full mailbox or one that no "
			 "longer exists: check it, and forward again with "
			 "#forward ADDRESS.\n" :
			 "Det som vidarebefordrades till %s kunde inte "
			 "levereras. E-postservern svarade:\n\n%s\n\n"
			 "En felskriven adress, en full brevlåda eller en som "
			 "inte finns längre: kontrollera den, och "
			 "vidarebefordra igen med #vidarebefordra ADRESS.\n",
			 f->fw->address, f->reason != NULL &&
			 f->reason[0] != '\0' ? f->reason : en ?
			 "(no reason given)" : "(inget skäl angivet)");
}

static const struct text T_FORWARD_FAILED_SUBJECT = {
	"Vidarebefordran kom inte fram", "The forward did not arrive" };

int
mailin_forward_failed(struct mailin *mi, struct store *store,
		      int64_t forward_id, const char *reason, char **error_r)
{
	struct store_forward fw = { 0 };
	struct forward_failure f = { &fw, reason };
	struct mailin_verdict v = { .kind = MAILIN_BOUNCE };
	int rc = store_forward_get(store, forward_id, &fw, error_r);

	if (rc > 0) {
		v.case_id = fw.case_id;
		memcpy(v.case_number, fw.case_number, sizeof(v.case_number));
		rc = store_event_add(store, fw.case_id, cirm_now(),
				     "forward.failed", 0, NULL, NULL, reason,
				     error_r);
	}
	if (rc >= 0 && v.case_id != 0)
		rc = tell_forward_readers(mi, store, &v, &fw,
					  &T_FORWARD_FAILED_SUBJECT,
					  forward_failed_head, &f, 0, error_r);
	store_forward_clear(&fw);
	return rc < 0 ? -1 : 0;
}
