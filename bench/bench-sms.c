/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-sms: the SMS codec benchmark behind "make bench" (bench/run.sh).

     bench-sms [SEGMENTS]

   encodes a fixed mix of texts (Swedish GSM-7 acknowledgements and
   answers of one to four segments, some with extension characters,
   some with emoji and hence UCS-2) over and over until SEGMENTS
   (default 2,000,000) segments are made: each text UTF-8 -> septets or
   UTF-16 units (gsm_encode), split into segments (gsm_split), and each
   segment's TP-User-Data with its concatenation header, GSM-7 packed
   (gsm_part_ud), as a driver sends them. Before timing, every text of
   the mix goes through the wire and back (gsm_ud_parse, reassembly)
   and must come out unchanged.

   Prints "name=value" words on one line; exits 1 when a result is
   wrong, never because of a time. */
#include "config.h"

#include "gsm.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_SEGMENTS 2000000

static const char *const mix[] = {
	"Tack för ditt meddelande! Vi har tagit emot det och gett det "
	"ärendenummer KS-2026-00042. Svara på detta sms om du vill lägga "
	"till något.",
	"Hej! Gatubelysningen på Åsvägen 12 är lagad. Ärendet "
	"KS-2026-00137 är nu avslutat. Hälsningar, Gatukontoret",
	"Vi behöver veta mer: var exakt ligger hålet i vägen, och hur "
	"stort är det? Svara gärna med en adress eller en beskrivning av "
	"platsen, så åtgärdar vi det så snart som möjligt. Ärende "
	"KS-2026-00211. Avgiften för tömning är 450 € [inkl. moms] och "
	"faktureras {kvartalsvis}.",
	"Tack! 😀 Vi återkommer inom två arbetsdagar.",
	"Ditt ärende KS-2026-00099 har fått en ny handläggare, Eva "
	"Öberg. Hon kontaktar dig snart. Har du frågor under tiden kan du "
	"svara på det här meddelandet eller ringa kommunens kontaktcenter "
	"på 0771-123 456 vardagar 08:00-16:30. Kom ihåg att uppge "
	"ärendenumret när du hör av dig, så hittar vi rätt direkt. Med "
	"vänlig hälsning, Kommunen. Det här meddelandet går inte att svara "
	"på med bilder; skicka dem i stället med e-post till "
	"kontakt@kommun.example.",
	"Snöröjningen på Björkgatan är klar ❄️ Tack för ditt tålamod! "
	"Ärendet KS-2026-00315 är avslutat. Svara STOPP om du inte vill "
	"ha fler sms från oss.",
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TEXT to the wire and back through reassembly, parts in reverse
   order: 0 when it comes out unchanged. */
static int
round_trip(const char *text, unsigned ref)
{
	struct gsm_part parts[GSM_PARTS_MAX];
	struct gsm_reasm *r = gsm_reasm_new(60);
	struct gsm_reasm_msg m = { 0 };
	struct gsm_msg msg, got;
	uint8_t ud[GSM_UD_MAX];
	char *error = NULL;
	int n, ok;

	if (gsm_encode(text, strlen(text), GSM_AUTO, &msg, &error) < 0 ||
	    (n = gsm_split(&msg, GSM_REF8, parts, GSM_PARTS_MAX, &error)) < 0) {
		fprintf(stderr, "bench-sms: %s\n", error);
		free(error);
		gsm_reasm_free(&r);
		return -1;
	}
	for (int i = n - 1; i >= 0; i--) {
		struct gsm_concat c = { ref, (unsigned)n, (unsigned)i + 1 }, rc;
		size_t udl;
		int len = gsm_part_ud(&msg, &parts[i], GSM_REF8, &c, ud, &udl);

		if (len < 0 || gsm_ud_parse(msg.enc, ud, (size_t)len, udl, n > 1,
					    &rc, &got, &error) < 0 ||
		    gsm_reasm_add(r, "bench", n > 1 ? &rc : NULL, &got, 0,
				  &error) != 1) {
			fprintf(stderr, "bench-sms: part %d: %s\n", i + 1,
				error != NULL ? error : "does not fit");
			free(error);
			gsm_msg_clear(&msg);
			gsm_reasm_free(&r);
			return -1;
		}
		gsm_msg_clear(&got);
	}
	ok = gsm_reasm_take(r, 0, &m) == 1 && m.complete &&
	     strcmp(m.text, text) == 0;
	if (!ok)
		fprintf(stderr, "bench-sms: '%s' came back as '%s'\n", text,
			m.text != NULL ? m.text : "(nothing)");
	gsm_reasm_msg_clear(&m);
	gsm_msg_clear(&msg);
	gsm_reasm_free(&r);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	long want = DEFAULT_SEGMENTS;
	size_t lens[N_ELEMENTS(mix)];
	struct gsm_part parts[GSM_PARTS_MAX];
	uint8_t ud[GSM_UD_MAX];
	unsigned long long segments = 0, messages = 0, octets = 0;
	unsigned long long gsm7 = 0, ucs2 = 0;
	double t0, c0, secs, cpu;
	int failed = 0;

	if (argc > 2 || (argc == 2 && (str_to_long(argv[1], 1, 1000000000L,
						   &want) < 0))) {
		fprintf(stderr, "usage: bench-sms [SEGMENTS]\n");
		return 64;
	}
	for (size_t i = 0; i < N_ELEMENTS(mix); i++) {
		lens[i] = strlen(mix[i]);
		if (round_trip(mix[i], (unsigned)i) < 0)
			failed = 1;
	}
	t0 = now_s();
	c0 = cpu_s();
	while (segments < (unsigned long long)want) {
		for (size_t i = 0; i < N_ELEMENTS(mix); i++) {
			struct gsm_msg msg;
			char *error = NULL;
			int n;

			if (gsm_encode(mix[i], lens[i], GSM_AUTO, &msg,
				       &error) < 0 ||
			    (n = gsm_split(&msg, GSM_REF8, parts,
					   GSM_PARTS_MAX, &error)) < 0) {
				fprintf(stderr, "bench-sms: %s\n", error);
				return 1;
			}
			for (int p = 0; p < n; p++) {
				struct gsm_concat c = { (unsigned)messages & 0xff,
							(unsigned)n,
							(unsigned)p + 1 };
				size_t udl;
				int len = gsm_part_ud(&msg, &parts[p], GSM_REF8,
						      &c, ud, &udl);

				if (len < 0) {
					fprintf(stderr, "bench-sms: a part "
						"does not fit\n");
					return 1;
				}
				octets += (unsigned)len;
			}
			if (msg.enc == GSM_GSM7)
				gsm7 += (unsigned)n;
			else
				ucs2 += (unsigned)n;
			segments += (unsigned)n;
			messages++;
			gsm_msg_clear(&msg);
		}
	}
	secs = now_s() - t0;
	cpu = cpu_s() - c0;
	printf("messages=%llu segments=%llu gsm7_segments=%llu ucs2_segments=%llu "
	       "octets=%llu seconds=%.3f cpu_s=%.3f segments_per_s=%.0f "
	       "check=%s\n", messages, segments, gsm7, ucs2, octets, secs, cpu,
	       (double)segments / (secs > 0 ? secs : 1e-9),
	       failed ? "FAIL" : "ok");
	return failed;
}
