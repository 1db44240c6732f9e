/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_GSM_H
#define CIRM_GSM_H

#include <stddef.h>
#include <stdint.h>

/* The SMS codec (3GPP TS 23.038 and 23.040): UTF-8 text to GSM-7 septets
   (the default alphabet and its extension table) or UCS-2 (UTF-16 code
   units, so that astral characters such as emoji travel as surrogate
   pairs), segmentation with a concatenation user data header, the user
   data as it goes on the wire, and reassembly of concatenated inbound
   messages. Pure functions; nothing here blocks, logs or reads a
   clock. */

/* Most UTF-8 bytes accepted in one text. */
#define GSM_TEXT_BYTES_MAX 65536
/* Most segments of one message: the concatenation header counts them
   in one octet. */
#define GSM_PARTS_MAX 255
/* Octets of user data in one segment (TP-UD, UDH included). */
#define GSM_UD_MAX 140
/* Septets (GSM-7) or UTF-16 units (UCS-2) in a single segment, and in
   each part of a concatenated message with an 8-bit or a 16-bit
   reference. */
#define GSM7_SINGLE 160
#define GSM7_PART8 153
#define GSM7_PART16 152
#define UCS2_SINGLE 70
#define UCS2_PART8 67
#define UCS2_PART16 66
/* The escape to the extension table. */
#define GSM7_ESC 0x1b

enum gsm_encoding {
	GSM_AUTO,	/* only as a request: the cheapest that fits */
	GSM_GSM7,	/* the default alphabet, data_coding 0 */
	GSM_UCS2	/* UTF-16BE, data_coding 8 */
};

/* An encoded text: septets 0..127 (an extension character is two, ESC
   and its code) or UTF-16 code units. */
struct gsm_msg {
	enum gsm_encoding enc;
	uint16_t *u;
	size_t n;
};

/* Encodes the UTF-8 TEXT of LEN bytes. With GSM_AUTO the cheapest
   encoding: GSM-7 whenever every character is in it (it never needs
   more segments than UCS-2: at worst 76 characters a part against 67),
   else UCS-2. Returns 0 with *MSG_R filled (clear it with
   gsm_msg_clear), or -1 with *ERROR_R (caller frees): invalid UTF-8
   (with its byte offset), a NUL character, more than
   GSM_TEXT_BYTES_MAX bytes, or a character not in GSM-7 when GSM_GSM7
   was asked for. */
int gsm_encode(const char *text, size_t len, enum gsm_encoding want,
	       struct gsm_msg *msg_r, char **error_r);
void gsm_msg_clear(struct gsm_msg *msg);

/* The UTF-8 text of UNITS N of MSG from OFF (caller frees; its length
   in *LEN_R, which may be NULL). Never fails: an escape to an unknown
   extension code gives the basic character, an escape at the end a
   space, a septet above 127 or a lone surrogate U+FFFD. */
char *gsm_decode(const struct gsm_msg *msg, size_t off, size_t n,
		 size_t *len_r);

/* Whether code point CP is in GSM-7, and its cost in septets (1 or 2);
   0 when it is not. */
int gsm7_cost(uint32_t cp);

/* In the UTF-8 TEXT, in place (it only gets shorter): each space a
   reader cannot tell from a plain one (a no-break, narrow, thin or
   ideographic space, a tab) becomes a plain space, and the characters
   that show nothing (a soft hyphen, a zero-width space, a word joiner,
   a byte order mark) are dropped. None of them is in GSM-7, so one of
   them, which mail clients put in for a reader who cannot see it, would
   make an SMS UCS-2 and three times as dear. The zero-width joiners of
   emoji and scripts stay. */
void gsm_plain_spaces(char *text);

/* --- segmentation --- */

enum gsm_ref {
	GSM_REF8,	/* concatenation IE 0x00, 8-bit reference */
	GSM_REF16	/* IE 0x08, 16-bit reference */
};

/* One segment: N units of the message from OFF. */
struct gsm_part {
	size_t off, n;
};

/* Splits MSG into segments: one when it fits a single segment (160
   septets, 70 units), else parts of at most 153 septets / 67 units
   (152 / 66 with a 16-bit reference), never between ESC and its code
   nor between the two halves of a surrogate pair. Fills PARTS (room
   for MAX) and returns their number, or -1 with *ERROR_R (caller
   frees) when more than MAX (at most GSM_PARTS_MAX) are needed. An
   empty message is one empty segment. */
int gsm_split(const struct gsm_msg *msg, enum gsm_ref ref,
	      struct gsm_part *parts, size_t max, char **error_r);

/* The number of segments MSG needs, or -1 beyond GSM_PARTS_MAX. */
int gsm_count_parts(const struct gsm_msg *msg, enum gsm_ref ref);

/* Concatenation information, from a UDH or from SMPP's SAR TLVs
   (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum). */
struct gsm_concat {
	unsigned ref;		/* 0..255 or 0..65535 */
	unsigned total;		/* 1..255 */
	unsigned seq;		/* 1..total */
};

/* The TP-User-Data of part P of MSG, one of TOTAL: with TOTAL > 1 a
   concatenation UDH (reference REF of kind KIND, sequence SEQ), then
   the text, GSM-7 packed after the header's fill bits or UCS-2
   big-endian. Writes at most GSM_UD_MAX octets to UD and returns their
   number; *UDL_R is TP-UDL (septets for GSM-7, header included;
   octets for UCS-2). Returns -1 when the part does not fit. */
int gsm_part_ud(const struct gsm_msg *msg, const struct gsm_part *p,
		enum gsm_ref kind, const struct gsm_concat *c,
		uint8_t ud[GSM_UD_MAX], size_t *udl_r);

/* Reads a TP-User-Data of encoding ENC (GSM_GSM7 or GSM_UCS2) of LEN
   octets and TP-UDL UDL, with a header when UDHI. Returns 1 with the
   concatenation information in *C_R, 0 when it is not part of a
   concatenated message, with the text in *MSG_R either way (clear it),
   or -1 with *ERROR_R (caller frees) for a malformed header or user
   data shorter than UDL says. */
int gsm_ud_parse(enum gsm_encoding enc, const uint8_t *ud, size_t len,
		 size_t udl, int udhi, struct gsm_concat *c_r,
		 struct gsm_msg *msg_r, char **error_r);

/* --- the wire --- */

/* Packs N septets (0..127) 7 bits each, least significant first,
   starting FILL bits (0..6) into OUT. Returns the octets written,
   ceil((FILL + 7 * N) / 8) (0 for no septets); OUT must have room for
   that. */
size_t gsm7_pack(const uint16_t *septets, size_t n, unsigned fill,
		 uint8_t *out);
/* Unpacks N septets from IN of LEN octets, starting FILL bits in.
   Returns 0, or -1 when IN is too short. */
int gsm7_unpack(const uint8_t *in, size_t len, unsigned fill, size_t n,
		uint16_t *septets);
/* UTF-16 units N to big-endian octets (2 * N written), and back
   (N = LEN / 2; LEN must be even: else -1). */
size_t gsm_ucs2_pack(const uint16_t *units, size_t n, uint8_t *out);
int gsm_ucs2_unpack(const uint8_t *in, size_t len, uint16_t *units);

/* --- reassembly of inbound concatenated messages --- */

/* Messages waiting for parts at once, and delivered messages whose
   references are remembered (to ignore late duplicates). */
#define GSM_REASM_PENDING_MAX 4096
#define GSM_REASM_DONE_MAX 4096

/* A reassembled message. */
struct gsm_reasm_msg {
	char *key;		/* as given to gsm_reasm_add */
	char *text;		/* UTF-8, the parts that came, in order */
	size_t len;
	unsigned total;		/* parts announced */
	unsigned received;	/* parts that came */
	int complete;		/* received == total */
	int64_t first;		/* when its first part came */
};

/* A reassembly table: a message whose parts have not all come TIMEOUT
   seconds after its first part is delivered with what came, marked
   incomplete. */
struct gsm_reasm *gsm_reasm_new(int64_t timeout);
void gsm_reasm_free(struct gsm_reasm **r);

/* Adds part C of a message from KEY (the sender, and whatever else
   tells senders apart: "+46701234567>+46700000000") with its text
   PART, at time NOW. C NULL (or C->total 1) is a message of one part,
   ready at once. Parts of one message may come in any order and in
   different encodings. Returns 1 when the part was stored, 0 for a
   duplicate (a part already there, or of a message delivered less
   than TIMEOUT ago) which is ignored, or -1 with *ERROR_R (caller
   frees) for an invalid C (total 0, seq 0 or above total) or when
   GSM_REASM_PENDING_MAX messages are waiting already; the caller then
   has the part delivered alone, so that nothing is lost. */
int gsm_reasm_add(struct gsm_reasm *r, const char *key,
		  const struct gsm_concat *c, const struct gsm_msg *part,
		  int64_t now, char **error_r);

/* Takes the next message ready at NOW (complete, or timed out) into
   *MSG_R (clear it with gsm_reasm_msg_clear): 1, or 0 when none is.
   Complete messages come first, oldest first. */
int gsm_reasm_take(struct gsm_reasm *r, int64_t now,
		   struct gsm_reasm_msg *msg_r);
void gsm_reasm_msg_clear(struct gsm_reasm_msg *msg);

/* Messages waiting for parts. */
size_t gsm_reasm_pending(const struct gsm_reasm *r);

#endif
