/* SPDX-License-Identifier: MIT */
/*
 * Quarantine records (dp_quarantine_parse: lib/quarantine.c), the text of
 * RUN_DIR/quarantine/BDF, in an exactly sized copy. Refused text says why;
 * accepted text has a non-empty reason of printable bytes and a time, and
 * formats back (dp_quarantine_format) into text that parses to the same
 * record.
 */
#include "fuzz.h"
#include "quarantine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_quarantine_record rec, again;
	char why[160] = "", printed[DP_QUARANTINE_RECORD_MAX], *text;
	int rc, len;

	text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	rc = dp_quarantine_parse(text, size, &rec, why, sizeof(why));
	free(text);
	if (rc < 0) {
		FZ_ASSERT(rc == -EINVAL, "%d", rc);
		FZ_ASSERT(why[0], "refused without a reason");
		return 0;
	}
	FZ_ASSERT(rec.reason[0], "an empty reason accepted");
	FZ_ASSERT(strlen(rec.reason) < sizeof(rec.reason), "the reason is not terminated");
	for (const char *c = rec.reason; *c; c++)
		FZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f, "a control byte 0x%02x in the reason",
			  (unsigned char)*c);
	FZ_ASSERT(rec.time >= 0, "time %lld", (long long)rec.time);
	len = dp_quarantine_format(&rec, printed, sizeof(printed));
	FZ_ASSERT(len > 0 && (size_t)len < sizeof(printed), "format gave %d", len);
	rc = dp_quarantine_parse(printed, (size_t)len, &again, why, sizeof(why));
	FZ_ASSERT(rc == 0, "the formatted record does not parse back: %s", why);
	FZ_ASSERT(strcmp(rec.reason, again.reason) == 0 && rec.time == again.time,
		  "reason or time differs after a round trip");
	FZ_ASSERT(rec.before.valid == again.before.valid, "before lost or gained");
	if (rec.before.valid)
		FZ_ASSERT(memcmp(&rec.before, &again.before, sizeof(rec.before)) == 0,
			  "before differs after a round trip");
	return 0;
}
