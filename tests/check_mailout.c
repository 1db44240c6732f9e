/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "mailout.h"
#include "mime.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char headers[] =
	"From: Växjö kommun <arende@kommun.example>\n"
	"Reply-To: arende+KS-2026-00042.abc123@kommun.example\n"
	"Auto-Submitted: auto-replied\n"
	"In-Reply-To: <orig.1@mail.exempel.se>\n"
	"References: <first@mail.exempel.se> <orig.1@mail.exempel.se>\n";

static char *
compose(const char *subject, const char *hdrs, const char *body, size_t *len_r)
{
	struct mailout m = {
		.message_id = "KS-2026-00042.ack.0123456789abcdef@kommun.example",
		.recipient = "goran.sjoberg@exempel.se", .subject = subject,
		.headers = hdrs, .body = body, .date = 1767258000,
	};
	char *msg = NULL, *err = NULL;
	size_t len;

	ck_assert_msg(mailout_compose(&m, &msg, &len, &err) == 0, "%s", err);
	ck_assert_uint_eq(strlen(msg), len);
	if (len_r != NULL)
		*len_r = len;
	return msg;
}

/* Every line ends in CRLF, is at most 78 characters (76 in the body)
   and is 7-bit. */
static void
check_lines(const char *msg)
{
	const char *p = msg;
	int in_body = 0;

	while (*p != '\0') {
		const char *e = strstr(p, "\r\n");
		size_t n;

		ck_assert_msg(e != NULL, "a line without CRLF: %s", p);
		n = (size_t)(e - p);
		ck_assert_msg(memchr(p, '\n', n) == NULL, "bare LF in %.*s", (int)n, p);
		ck_assert_msg(memchr(p, '\r', n) == NULL, "bare CR in %.*s", (int)n, p);
		ck_assert_msg(n <= (in_body ? 76 : 78), "line of %zu: %.*s", n,
			      (int)n, p);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg((unsigned char)p[i] < 0x80, "8-bit: %.*s",
				      (int)n, p);
		if (n == 0)
			in_body = 1;
		else if (in_body)
			ck_assert_msg(p[0] != '.' && strncmp(p, "From ", 5) != 0,
				      "unsafe line start: %.*s", (int)n, p);
		p = e + 2;
	}
}

static struct mime_message *
parse(const char *msg, size_t len)
{
	struct mime_limits lim;
	struct mime_message *m = NULL;
	char *err = NULL;

	mime_limits_default(&lim);
	ck_assert_msg(mime_parse(msg, len, &lim, &m, &err) == 0, "%s", err);
	return m;
}

static const char swedish[] =
	"Hej Göran!\n"
	"\n"
	"Tack för ditt meddelande om gatlyktan på Storgatan 12. Vi har tagit emot "
	"ärendet och återkommer så snart vi kan; under tiden kan du svara på detta "
	"brev om du vill lägga till något. Åsa, Örjan och Ärla hälsar.\n"
	"From the archive: this line starts with From and a space.\n"
	".a line starting with a dot\n"
	"..\n"
	".\n"
	"trailing space   \n"
	"trailing tab\t\n"
	"equals = sign and =?utf-8?q?not_a_word?= and tab\tinside\n"
	"exactly seventy-six characters long line .................................x\n"
	"åäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäöåäö\n"
	"\n"
	"Med vänlig hälsning\n"
	"Kommunen\n";

START_TEST(test_round_trip)
{
	size_t len;
	char *msg = compose("Ärende KS-2026-00042: Trasig gatlykta på Storgatan",
			    headers, swedish, &len);
	struct mime_message *m;

	check_lines(msg);
	m = parse(msg, len);
	ck_assert_str_eq(m->text, swedish);
	ck_assert_str_eq(m->subject,
			 "Ärende KS-2026-00042: Trasig gatlykta på Storgatan");
	ck_assert_str_eq(m->from.name, "Växjö kommun");
	ck_assert_str_eq(m->from.addr, "arende@kommun.example");
	ck_assert_str_eq(m->reply_to.addr,
			 "arende+KS-2026-00042.abc123@kommun.example");
	ck_assert_uint_eq(m->nto, 1);
	ck_assert_str_eq(m->to[0].addr, "goran.sjoberg@exempel.se");
	ck_assert_str_eq(m->message_id,
			 "KS-2026-00042.ack.0123456789abcdef@kommun.example");
	ck_assert_str_eq(m->in_reply_to, "orig.1@mail.exempel.se");
	ck_assert_uint_eq(m->nreferences, 2);
	ck_assert_str_eq(m->references[1], "orig.1@mail.exempel.se");
	ck_assert_int_eq(m->date, 1767258000);
	ck_assert_str_eq(mime_header(m, "Auto-Submitted"), "auto-replied");
	/* Exchange's own field: no out-of-office answers to automatic
	   mail, but delivery reports still */
	ck_assert_str_eq(mime_header(m, "X-Auto-Response-Suppress"),
			 "OOF, AutoReply");
	ck_assert_str_eq(mime_header(m, "MIME-Version"), "1.0");
	ck_assert_str_eq(m->content_type, "text/plain");
	ck_assert_str_eq(m->parts[0].charset, "utf-8");
	/* The case tag stays readable in the raw subject. */
	ck_assert_ptr_nonnull(strstr(msg, " KS-2026-00042: "));
	mime_free(&m);
	free(msg);
	/* a handler's answer is a person's: no such request */
	msg = compose("Svar", "From: Växjö kommun <arende@kommun.example>\n",
		      swedish, &len);
	m = parse(msg, len);
	ck_assert_ptr_null(mime_header(m, "X-Auto-Response-Suppress"));
	mime_free(&m);
	free(msg);
}
END_TEST

/* Attachments make a multipart/mixed mail that our own MIME reader
   takes back apart: the text, then each file byte for byte with its
   UTF-8 name; a content type that is not type/subtype is sent as
   application/octet-stream. */
START_TEST(test_attachments)
{
	unsigned char bin[1000];
	const struct mailout_attachment att[] = {
		{ "Åtgärdsplan 2026.pdf", "application/pdf", bin, sizeof(bin),
		  NULL },
		{ "../../etc/x.txt", "text/plain\r\nX-Evil: 1", "hej\n", 4, NULL },
		{ NULL, "image/png", bin, 1, NULL },
		/* a UTF-8 text file says so; a Latin-1 one cannot */
		{ "anteckning.txt", "text/plain", "\xc3\x85tg\xc3\xa4rd\n", 8,
		  NULL },
		{ "latin1.txt", "text/plain", "\xc5tg\xe4rd\n", 6, NULL },
		/* as some Windows clients name a file: its folders, with
		   the handler's login, are not the citizen's business */
		{ "C:\\Users\\eva.ek\\Skrivbord\\Bilaga ö.pdf", "application/pdf",
		  "", 0, NULL },
	};
	struct mailout mo = {
		.message_id = "KS-2026-00042.answer.0123456789abcdef@kommun.example",
		.recipient = "goran.sjoberg@exempel.se", .subject = "Svar",
		.headers = headers, .body = swedish, .date = 1767258000,
		.attachments = att, .nattachments = 6,
	};
	struct mime_message *m;
	char *msg = NULL, *err = NULL;
	size_t len, natt = 0;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	ck_assert_msg(mailout_compose(&mo, &msg, &len, &err) == 0, "%s", err);
	check_lines(msg);
	ck_assert_msg(strstr(msg, "Content-Type: text/plain; charset=UTF-8;\r\n"
			     " name=\"anteckning.txt\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n"
			     "Content-Disposition: attachment;\r\n"
			     " filename=\"anteckning.txt\"") != NULL,
		      "the UTF-8 text file has no charset");
	ck_assert_msg(strstr(msg, "Content-Type: text/plain;\r\n"
			     " name=\"latin1.txt\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n"
			     "Content-Disposition: attachment;\r\n"
			     " filename=\"latin1.txt\"") != NULL,
		      "the Latin-1 text file has a charset");
	/* a name beyond ASCII: RFC 2231 in Content-Disposition, and
	   encoded words in Content-Type's name, which Outlook over IMAP
	   reads (it showed "Untitled attachment") */
	ck_assert_msg(strstr(msg, "Content-Type: application/pdf;\r\n"
			     " name=\"=?UTF-8?B?QmlsYWdhIMO2LnBkZg==?=\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n"
			     "Content-Disposition: attachment;\r\n"
			     " filename*0*=UTF-8''Bilaga%20%C3%B6.pdf") != NULL,
		      "%s", msg);
	ck_assert_ptr_null(strstr(msg, "X-Evil: 1"));
	m = parse(msg, len);
	ck_assert_str_eq(m->text, swedish);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];

		if (p->role != MIME_PART_ATTACHMENT)
			continue;
		switch (natt++) {
		case 0:
			ck_assert_str_eq(p->filename, "Åtgärdsplan 2026.pdf");
			ck_assert_str_eq(p->content_type, "application/pdf");
			ck_assert_uint_eq(p->len, sizeof(bin));
			ck_assert_mem_eq(p->data, bin, sizeof(bin));
			break;
		case 1:
			ck_assert_str_eq(p->filename, "x.txt");
			ck_assert_str_eq(p->content_type,
					 "application/octet-stream");
			ck_assert_mem_eq(p->data, "hej\n", 4);
			break;
		case 2:
			ck_assert_ptr_null(p->filename);
			ck_assert_uint_eq(p->len, 1);
			break;
		case 3:
			ck_assert_str_eq(p->filename, "anteckning.txt");
			break;
		case 4:
			ck_assert_str_eq(p->filename, "latin1.txt");
			break;
		case 5:
			ck_assert_str_eq(p->filename, "Bilaga ö.pdf");
			ck_assert_uint_eq(p->len, 0);
			break;
		}
	}
	ck_assert_uint_eq(natt, 6);
	mime_free(&m);
	free(msg);
}
END_TEST

/* A long file name beyond ASCII: both parameters fold within the line
   length, and each reads back whole. */
START_TEST(test_attachment_long_name)
{
	static const char name[] = "Beslut om bygglov för altan på fastigheten "
		"Björken 4 – Ängby – med ritningar och sökandens yttrande.pdf";
	const struct mailout_attachment att[] = {
		{ name, "application/pdf", "%PDF", 4, NULL },
	};
	struct mailout mo = {
		.message_id = "KS-2026-00042.answer.0123456789abcdef@kommun.example",
		.recipient = "goran.sjoberg@exempel.se", .subject = "Svar",
		.headers = headers, .body = "Se beslutet.\n", .date = 1767258000,
		.attachments = att, .nattachments = 1,
	};
	struct mime_message *m;
	char *msg = NULL, *err = NULL, *type, *end;
	size_t len;
	int found = 0;

	ck_assert_msg(mailout_compose(&mo, &msg, &len, &err) == 0, "%s", err);
	check_lines(msg);
	type = strstr(msg, "Content-Type: application/pdf;\r\n name=\"=?UTF-8?B?");
	ck_assert_msg(type != NULL, "%s", msg);
	end = strstr(type, "\r\nContent-Transfer-Encoding");
	ck_assert_ptr_nonnull(end);
	m = parse(msg, len);
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i].filename != NULL &&
		    strcmp(m->parts[i].filename, name) == 0)
			found++;
	ck_assert_int_eq(found, 1);
	mime_free(&m);
	free(msg);
}
END_TEST

/* A text file goes on with the charset it came with (a Latin-1 file
   from a citizen to the handlers); a charset that is not a name is not
   written into the header. */
START_TEST(test_attachment_charset)
{
	const struct mailout_attachment att[] = {
		{ "latin1.txt", "text/plain", "\xc5tg\xe4rd\n", 6,
		  "iso-8859-1" },
		{ "bad.txt", "text/plain", "\xc5tg\xe4rd\n", 6,
		  "latin1\r\nX-Evil: 1" },
		{ "bild.png", "image/png", "\x89PNG", 4, "iso-8859-1" },
	};
	struct mailout mo = {
		.message_id = "KS-2026-00042.answer.0123456789abcdef@kommun.example",
		.recipient = "goran.sjoberg@exempel.se", .subject = "Svar",
		.headers = headers, .body = "Se filen.\n", .date = 1767258000,
		.attachments = att, .nattachments = 3,
	};
	struct mime_message *m;
	char *msg = NULL, *err = NULL;
	size_t len;
	int found = 0;

	ck_assert_msg(mailout_compose(&mo, &msg, &len, &err) == 0, "%s", err);
	ck_assert_msg(strstr(msg, "Content-Type: text/plain; "
			     "charset=iso-8859-1;\r\n name=\"latin1.txt\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n"
			     "Content-Disposition: attachment;\r\n"
			     " filename=\"latin1.txt\"") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "Content-Type: text/plain;\r\n"
			     " name=\"bad.txt\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n"
			     "Content-Disposition: attachment;\r\n"
			     " filename=\"bad.txt\"") != NULL, "%s", msg);
	ck_assert_ptr_null(strstr(msg, "X-Evil"));
	ck_assert_msg(strstr(msg, "Content-Type: image/png;\r\n") != NULL,
		      "%s", msg);
	m = parse(msg, len);
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i].filename != NULL &&
		    strcmp(m->parts[i].filename, "latin1.txt") == 0) {
			ck_assert_str_eq(m->parts[i].charset, "iso-8859-1");
			found++;
		}
	ck_assert_int_eq(found, 1);
	mime_free(&m);
	free(msg);
}
END_TEST

/* A mail the handler passes on as an attachment is never base64, which
   RFC 2046 5.2.1 forbids for message/rfc822 and clients then read as a
   broken mail: as it is when it is 7-bit, else as a file. */
START_TEST(test_enclosed_mail)
{
	static const char ascii[] = "From: Byggnadsnamnden <bn@kommun.example>\n"
		"Subject: Beslut om bygglov\n\nBygget far fortsatta.\n";
	static const char eightbit[] = "From: <bn@kommun.example>\r\n"
		"Subject: Beslut\r\n\r\nBygget f\xc3\xa5r forts\xc3\xa4tta.\r\n";
	const struct mailout_attachment att[] = {
		{ "beslut.eml", "message/rfc822", ascii, strlen(ascii), NULL },
		{ "beslut2.eml", "message/rfc822", eightbit, strlen(eightbit),
		  NULL },
	};
	struct mailout mo = {
		.message_id = "KS-2026-00042.answer.0123456789abcdef@kommun.example",
		.recipient = "goran.sjoberg@exempel.se", .subject = "Svar",
		.headers = headers, .body = "Se beslutet.\n", .date = 1767258000,
		.attachments = att, .nattachments = 2,
	};
	struct mime_message *m;
	char *msg = NULL, *err = NULL;
	size_t len, natt = 0;

	ck_assert_msg(mailout_compose(&mo, &msg, &len, &err) == 0, "%s", err);
	ck_assert_msg(strstr(msg, "Content-Type: message/rfc822;\r\n"
			     " name=\"beslut.eml\"\r\n"
			     "Content-Transfer-Encoding: 7bit\r\n") != NULL,
		      "%s", msg);
	ck_assert_msg(strstr(msg, "\r\n\r\nFrom: Byggnadsnamnden "
			     "<bn@kommun.example>\r\nSubject: Beslut om "
			     "bygglov\r\n\r\nBygget far fortsatta.\r\n") != NULL,
		      "%s", msg);
	ck_assert_msg(strstr(msg, "Content-Type: application/octet-stream;\r\n"
			     " name=\"beslut2.eml\"\r\n"
			     "Content-Transfer-Encoding: base64\r\n") != NULL,
		      "%s", msg);
	ck_assert_ptr_null(strstr(msg, "message/rfc822;\r\n"
				  " name=\"beslut2.eml\"\r\n"
				  "Content-Transfer-Encoding: base64"));
	m = parse(msg, len);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];

		if (!mime_part_is_file(p))
			continue;
		if (natt++ == 1) {
			ck_assert_str_eq(p->filename, "beslut2.eml");
			ck_assert_uint_eq(p->len, strlen(eightbit));
			ck_assert_mem_eq(p->data, eightbit, p->len);
		} else
			ck_assert_str_eq(p->content_type, "message/rfc822");
	}
	ck_assert_uint_eq(natt, 2);
	mime_free(&m);
	free(msg);
}
END_TEST

/* Long subjects of every kind fold and decode back exactly. */
START_TEST(test_subjects)
{
	static const char *const subjects[] = {
		"",
		"Plain ASCII",
		"Åäö",
		"Ett mycket långt ämne som måste vikas över flera rader eftersom "
		"det innehåller många ord med å, ä och ö i sig, fler än vad som "
		"ryms på en rad",
		"€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€",
		"ASCII first then ändå and ASCII after the encoded part ends here ok",
		"double  spaces  åäö  kept",
		"a_b=c?d =?x?= ö",
		"日本語のテキストはBエンコーディングで短くなる日本語のテキスト",
		/* a subject cut short (text_excerpt) */
		"Svar: Gatlampa https://reklam.example/erbjudande\xe2\x80\xa6",
		"averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongasciiword",
	};

	for (size_t i = 0; i < N_ELEMENTS(subjects); i++) {
		size_t len;
		char *msg = compose(subjects[i], headers, "x\n", &len);
		struct mime_message *m;

		/* One word longer than a line may not fold. */
		if (i + 1 < N_ELEMENTS(subjects))
			check_lines(msg);
		m = parse(msg, len);
		ck_assert_msg(strcmp(m->subject != NULL ? m->subject : "",
				     subjects[i]) == 0,
			      "subject %zu: '%s' became '%s'", i, subjects[i],
			      m->subject);
		mime_free(&m);
		free(msg);
	}
}
END_TEST

/* A word too long for any line (a citizen's subject of one long URL,
   passed on in a handler's notice) is still sent in lines of at most
   998 octets (RFC 5322 2.1.1), and reads back as it was. */
START_TEST(test_long_word)
{
	char word[1201], *subject, *hdrs, *msg;
	struct mime_message *m;
	size_t len;

	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	subject = xasprintf("Ny kommentar [KS-2026-00042] %s slut", word);
	hdrs = xasprintf("From: %s <arende@kommun.example>\n"
			 "X-Cirm-Note: %s\n", word, word);
	msg = compose(subject, hdrs, "x\n", &len);
	check_lines(msg);
	m = parse(msg, len);
	ck_assert_str_eq(m->subject, subject);
	ck_assert_str_eq(m->from.name, word);
	mime_free(&m);
	free(msg);
	free(hdrs);
	free(subject);
}
END_TEST

START_TEST(test_header_injection)
{
	size_t len;
	char *msg = compose("Hej\r\nBcc: victim@example.org",
			    "From: Kommunen\rBcc: x <arende@kommun.example>\n"
			    "Bcc: victim@example.org\n"
			    "Subject: second subject\n"
			    "X-Cirm-Case: KS-1\rBcc: v@example.org\n",
			    "body\n", &len);
	struct mime_message *m;

	check_lines(msg);
	ck_assert_ptr_null(strstr(msg, "\nBcc"));
	m = parse(msg, len);
	ck_assert_ptr_null(mime_header(m, "Bcc"));
	ck_assert_str_eq(m->subject, "Hej  Bcc: victim@example.org");
	ck_assert_str_eq(mime_header(m, "X-Cirm-Case"), "KS-1 Bcc: v@example.org");
	ck_assert_str_eq(m->from.addr, "arende@kommun.example");
	ck_assert_str_eq(m->from.name, "Kommunen Bcc: x");
	mime_free(&m);
	free(msg);
}
END_TEST

/* The ids of the mail answered are the sender's to choose: one that
   cannot go out (8-bit, as RFC 6532 allows, or with a blank) is left
   out of In-Reply-To and References, and the mail still goes. */
START_TEST(test_unusable_reply_ids)
{
	size_t len;
	char *msg = compose("Hej", "From: Kommunen <arende@kommun.example>\n"
			    "In-Reply-To: <\xc3\xa4\xc3\xa4@exempel.se>\n"
			    "References: <a.1@exempel.se> <\xc3\xa4@exempel.se> "
			    "<b c@exempel.se> <d.2@exempel.se>\n",
			    "body\n", &len);
	struct mime_message *m;

	check_lines(msg);
	m = parse(msg, len);
	ck_assert_ptr_null(mime_header(m, "In-Reply-To"));
	ck_assert_str_eq(mime_header(m, "References"),
			 "<a.1@exempel.se> <d.2@exempel.se>");
	mime_free(&m);
	free(msg);
}
END_TEST

START_TEST(test_refused)
{
	struct mailout m = {
		.message_id = "a@b", .recipient = "x@example.org",
		.headers = "From: <arende@kommun.example>\n", .body = "",
	};
	char *msg = NULL, *err = NULL;
	size_t len;

	m.recipient = "x@example.org\r\nRCPT TO:<y@example.org>";
	ck_assert_int_eq(mailout_compose(&m, &msg, &len, &err), -1);
	free(err);
	m.recipient = "Name <x@example.org>";
	ck_assert_int_eq(mailout_compose(&m, &msg, &len, &err), -1);
	free(err);
	m.recipient = "x@example.org";
	m.message_id = "a b@c";
	ck_assert_int_eq(mailout_compose(&m, &msg, &len, &err), -1);
	free(err);
	m.message_id = "a@b";
	m.headers = "Reply-To: nobody\n";
	ck_assert_int_eq(mailout_compose(&m, &msg, &len, &err), -1);
	ck_assert_str_eq(err, "the Reply-To field has no usable address");
	free(err);
	m.headers = "";
	ck_assert_int_eq(mailout_compose(&m, &msg, &len, &err), -1);
	ck_assert_str_eq(err, "the message has no From field");
	free(err);
}
END_TEST

/* N letters 'a' and then TAIL (caller frees): a line of a given
   length. */
static char *
letters(size_t n, const char *tail)
{
	char *s = xmalloc(n + strlen(tail) + 1);

	memset(s, 'a', n);
	strcpy(s + n, tail);
	return s;
}

/* Checks that TEXT (N letters and TAIL) encodes to N_OUT letters and
   then WANT. */
static void
assert_qp(size_t n, const char *tail, size_t n_out, const char *want)
{
	char *in = letters(n, tail), *out = letters(n_out, want), *qp;
	size_t len;

	qp = mailout_qp(in, strlen(in), &len);
	ck_assert_str_eq(qp, out);
	free(qp);
	free(out);
	free(in);
}

/* Valid addresses of less usual shapes reach their citizen; the
   malformed stay refused. */
START_TEST(test_addresses)
{
	static const char *const good[] = {
		"kalle+KS-2026-00042@exempel.se", "\"kalle..k\"@exempel.se",
		"\"kalle@hemma\"@exempel.se", "\"Kalle Karlsson\"@exempel.se",
		"\"a\\\"b\"@exempel.se",
	};
	static const char *const bad[] = {
		"\"kalle@exempel.se", "\"kalle\"x@exempel.se",
		"\"kalle\r\nRCPT TO:<y@example.org>\"@exempel.se",
		"\"k\u00e4lle\"@exempel.se", "\"kalle\"@", "\"kalle\"@a@b",
		"\"kalle\\", "kalle.\"x\"@exempel.se",
	};
	struct mailout mo = {
		.message_id = "a@kommun.example", .subject = "Svar",
		.headers = headers, .body = "x\n", .date = 1767258000,
	};
	struct mime_message *m;
	char *msg, *err;
	size_t len;

	for (size_t i = 0; i < N_ELEMENTS(good); i++) {
		mo.recipient = good[i];
		err = NULL;
		ck_assert_msg(mailout_compose(&mo, &msg, &len, &err) == 0,
			      "%s: %s", good[i], err);
		check_lines(msg);
		m = parse(msg, len);
		ck_assert_uint_eq(m->nto, 1);
		if (strchr(good[i], ' ') == NULL)
			ck_assert_str_eq(m->to[0].addr, good[i]);
		mime_free(&m);
		free(msg);
	}
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		mo.recipient = bad[i];
		err = NULL;
		ck_assert_msg(mailout_compose(&mo, &msg, &len, &err) == -1,
			      "%s accepted", bad[i]);
		ck_assert_str_eq(err, "the recipient is not a usable mail address");
		free(err);
	}
}
END_TEST

/* To: names the recipient as the row's To line does, when that line
   is for the recipient; a To line can never send the mail elsewhere. */
START_TEST(test_to_name)
{
	static const struct {
		const char *to_line, *name;
	} cases[] = {
		{ "To: Göran Sjöberg <goran.sjoberg@exempel.se>\n",
		  "Göran Sjöberg" },
		{ "To: \"Sjöberg, Göran\" <Goran.Sjoberg@exempel.se>\n",
		  "Sjöberg, Göran" },
		{ "To: Mallory <mallory@example.org>\n", NULL },
		{ "To: goran.sjoberg@exempel.se\n", NULL },
		{ "To: Evil\r\nBcc: x@example.org <goran.sjoberg@exempel.se>\n",
		  NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *hdrs = xasprintf("%s%s", headers, cases[i].to_line);
		char *msg;
		size_t len;
		struct mime_message *m;

		msg = compose("Svar", hdrs, "x\n", &len);
		check_lines(msg);
		ck_assert_msg(strstr(msg, "Bcc") == NULL, "%s", msg);
		m = parse(msg, len);
		ck_assert_uint_eq(m->nto, 1);
		ck_assert_str_eq(m->to[0].addr, "goran.sjoberg@exempel.se");
		if (cases[i].name != NULL)
			ck_assert_msg(m->to[0].name != NULL &&
				      strcmp(m->to[0].name, cases[i].name) == 0,
				      "%zu: %s", i, msg);
		else
			ck_assert_msg(m->to[0].name == NULL, "%zu: %s", i, msg);
		mime_free(&m);
		free(msg);
		free(hdrs);
	}
}
END_TEST

/* A row's mailbox line stays one line whatever the name holds, and
   mailout_compose takes its name for To. */
START_TEST(test_row_mailbox)
{
	char *line = mailout_row_mailbox("To", "Evil\r\nBcc: x@example.org",
					 "goran.sjoberg@exempel.se");
	char *hdrs = xasprintf("%s%s", headers, line);
	char *msg;
	size_t len;
	struct mime_message *m;

	ck_assert_str_eq(line, "To: Evil  Bcc: x@example.org "
			 "<goran.sjoberg@exempel.se>\n");
	msg = compose("Svar", hdrs, "x\n", &len);
	check_lines(msg);
	ck_assert_msg(strstr(msg, "\nBcc") == NULL, "%s", msg);
	m = parse(msg, len);
	ck_assert_ptr_null(mime_header(m, "Bcc"));
	ck_assert_uint_eq(m->nto, 1);
	ck_assert_str_eq(m->to[0].addr, "goran.sjoberg@exempel.se");
	ck_assert_str_eq(m->to[0].name, "Evil Bcc: x@example.org");
	mime_free(&m);
	free(msg);
	free(hdrs);
	free(line);
}
END_TEST

/* A citizen at an IDN domain gets mail at its ASCII form; a local
   part that is not ASCII has none. */
START_TEST(test_idn)
{
	static const char *const cases[][2] = {
		{ "olle@r\u00e4ksm\u00f6rg\u00e5s.se", "olle@xn--rksmrgs-5wao1o.se" },
		{ "\"o..k\"@\u00e5.se", "\"o..k\"@xn--5ca.se" },
		{ "olle@exempel.se", "olle@exempel.se" },
		{ "\u00f6lle@exempel.se", NULL },
		{ "olle@-\u00e5-.se", NULL },
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *a = mailout_address_ascii(cases[i][0]);

		if (cases[i][1] == NULL)
			ck_assert_msg(a == NULL, "%s became %s", cases[i][0], a);
		else {
			ck_assert_msg(a != NULL, "%s refused", cases[i][0]);
			ck_assert_str_eq(a, cases[i][1]);
			ck_assert(mailout_address_ok(a));
		}
		free(a);
	}
}
END_TEST

START_TEST(test_qp)
{
	size_t len;
	char *qp = mailout_qp("a \nb\t\n", 6, &len);

	ck_assert_str_eq(qp, "a=20\r\nb=09\r\n");
	free(qp);
	qp = mailout_qp("no newline", 10, &len);
	ck_assert_str_eq(qp, "no newline=\r\n");
	free(qp);
	qp = mailout_qp("crlf\r\nkept\r\n", 12, &len);
	ck_assert_str_eq(qp, "crlf\r\nkept\r\n");
	free(qp);
	/* 80 letters: a soft break after 75 characters. */
	assert_qp(80, "\n", 75, "=\r\naaaaa\r\n");
	/* An encoded character never splits across a soft break. */
	assert_qp(74, "\xc3\xa5\n", 74, "=\r\n=C3=A5\r\n");
	/* Nor does a UTF-8 character: clients that decode line by line
	   show a split one as two wrong ones. */
	assert_qp(72, "\xc3\xa5\n", 72, "=\r\n=C3=A5\r\n");
	assert_qp(67, "\xe2\x82\xac\xe2\x82\xac", 67,
		  "=\r\n=E2=82=AC=E2=82=AC=\r\n");
}
END_TEST

/* Decodes quoted-printable (soft breaks dropped, CRLF kept as LF). */
static char *
qp_decode(const char *qp, size_t len, size_t *len_r)
{
	char *out = xmalloc(len + 1);
	size_t j = 0;

	for (size_t i = 0; i < len; i++) {
		if (qp[i] == '=' && i + 2 < len && qp[i + 1] == '\r' &&
		    qp[i + 2] == '\n') {
			i += 2;
		} else if (qp[i] == '=' && i + 2 < len) {
			char h[3] = { qp[i + 1], qp[i + 2], 0 };

			out[j++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else if (qp[i] == '\r' && i + 1 < len && qp[i + 1] == '\n') {
			out[j++] = '\n';
			i++;
		} else
			out[j++] = qp[i];
	}
	*len_r = j;
	return out;
}

/* Random text of every byte: lines never longer than 76, only printable
   ASCII (and tabs inside a line) on the wire, no line starting with a bare dot or "From ", and
   decoding gives the text back (a last line without newline gains
   none). */
START_TEST(test_qp_random)
{
	unsigned seed = 42;

	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand_r(&seed) % 600), len, dlen;
		char *text = xmalloc(n + 1), *qp, *back;

		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 20;

			text[i] = r == 0 ? '\n' : r == 1 ? ' ' : r == 2 ? '.' :
				  r == 3 ? 'F' : r == 4 ? '=' : r == 5 ? '\t' :
				  (char)(rand_r(&seed) % 256);
			if (text[i] == '\r' || text[i] == '\0')
				text[i] = 'x'; /* CR and NUL are not text */
		}
		qp = mailout_qp(text, n, &len);
		ck_assert_uint_eq(strlen(qp), len);
		for (const char *line = qp; *line != '\0';) {
			const char *e = strstr(line, "\r\n");

			ck_assert_ptr_nonnull(e);
			ck_assert_int_le((int)(e - line), 76);
			ck_assert(line[0] != '.' && strncmp(line, "From ", 5) != 0);
			for (const char *c = line; c < e; c++)
				ck_assert((*c >= ' ' && *c < 0x7f) || *c == '\t');
			line = e + 2;
		}
		back = qp_decode(qp, len, &dlen);
		ck_assert_uint_eq(dlen, n);
		ck_assert(memcmp(back, text, n) == 0);
		free(back);
		free(qp);
		free(text);
	}
}
END_TEST

START_TEST(test_message_id_and_from)
{
	char *id = mailout_new_message_id("arende@kommun.example"), *a;

	ck_assert_int_eq((int)strlen(id), (int)strlen("cirm.@kommun.example") + 24);
	ck_assert_ptr_nonnull(strstr(id, "@kommun.example"));
	free(id);
	id = mailout_new_message_id(NULL);
	ck_assert_ptr_nonnull(strstr(id, "@cirm.invalid"));
	free(id);
	a = mailout_from_address(headers);
	ck_assert_str_eq(a, "arende@kommun.example");
	free(a);
	ck_assert_ptr_null(mailout_from_address("Reply-To: a@b\n"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mailout");
	TCase *tc = tcase_create("mailout");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_qp_random);
	tcase_add_test(tc, test_attachments);
	tcase_add_test(tc, test_attachment_charset);
	tcase_add_test(tc, test_attachment_long_name);
	tcase_add_test(tc, test_enclosed_mail);
	tcase_add_test(tc, test_subjects);
	tcase_add_test(tc, test_long_word);
	tcase_add_test(tc, test_header_injection);
	tcase_add_test(tc, test_unusable_reply_ids);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_idn);
	tcase_add_test(tc, test_qp);
	tcase_add_test(tc, test_message_id_and_from);
	tcase_add_test(tc, test_to_name);
	tcase_add_test(tc, test_row_mailbox);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
