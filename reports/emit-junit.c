/* emit-junit.c - the gate as JUnit XML, the common format CI systems read
 * (Jenkins, GitLab, GitHub Actions reporters): one <testsuite> per run named
 * soak.gate.<run>, one <testcase> per check; a failed check carries
 * <failure message type>, a check that could not be evaluated <error>, an
 * undecided baseline check <error type="undecided"> (exit 2, and CI
 * systems list errors with their message where skipped tests are folded
 * away), a skipped one <skipped>. The text of a failure names the metric, the value,
 * the threshold and the baseline. Everything is XML-escaped, control
 * characters and invalid UTF-8 are replaced, so the file always parses. */
#include "gate.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void xml(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		switch (*p) {
		case '&': fputs("&amp;", f); p++; continue;
		case '<': fputs("&lt;", f); p++; continue;
		case '>': fputs("&gt;", f); p++; continue;
		case '"': fputs("&quot;", f); p++; continue;
		case '\'': fputs("&apos;", f); p++; continue;
		case '\n': fputs("&#10;", f); p++; continue;
		case '\t': fputs("&#9;", f); p++; continue;
		default: break;
		}
		if (*p < 0x20) {          /* not allowed in XML 1.0 */
			fputc(' ', f);
			p++;
			continue;
		}
		size_t n = utf8_len(p);
		if (!n) {
			fputc('?', f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	xml(f, value);
	fputc('"', f);
}

/* "2026-11-21T21:08:32.123Z" -> "2026-11-21T21:08:32" (xs:dateTime, no zone). */
static void timestamp(const char *iso, char *buf, size_t len)
{
	snprintf(buf, len, "%.19s", iso ? iso : "");
}

static void body(FILE *f, const soak_check_t *c)
{
	fputs("metric: ", f);
	xml(f, c->metric);
	fputs("\nvalue: ", f);
	xml(f, c->value);
	fputs("\nthreshold: ", f);
	xml(f, c->threshold);
	fputs("\nbaseline: ", f);
	xml(f, c->baseline[0] ? c->baseline : "none");
	fputs("\n", f);
	xml(f, c->message);
}

static void testcase(FILE *f, const soak_gate_run_t *gr, const soak_check_t *c)
{
	char cls[128];
	snprintf(cls, sizeof(cls), "soak.gate.%s", gr->run);
	fputs("    <testcase", f);
	attr(f, "classname", cls);
	attr(f, "name", c->name);
	fputs(" time=\"0\"", f);
	if (c->state == SOAK_CHECK_PASS) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      ", f);
	if (c->state == SOAK_CHECK_SKIP) {
		fputs("<skipped", f);
		attr(f, "message", c->message);
		fputs("/>\n", f);
	} else {
		const char *el = c->state == SOAK_CHECK_FAIL ? "failure" : "error";
		fprintf(f, "<%s", el);
		attr(f, "message", c->message);
		attr(f, "type", c->type[0] ? c->type : el);
		fputs(">", f);
		body(f, c);
		fprintf(f, "</%s>\n", el);
	}
	fputs("    </testcase>\n", f);
}

static void property(FILE *f, const char *name, const char *value)
{
	fputs("      <property", f);
	attr(f, "name", name);
	attr(f, "value", value);
	fputs("/>\n", f);
}

int soak_gate_emit_junit(FILE *f, const soak_gate_report_t *rep)
{
	double total = 0;
	for (size_t i = 0; i < rep->n; i++)
		if (!isnan(rep->runs[i].time_s))
			total += rep->runs[i].time_s;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"soak.gate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"time=\"%.3f\">\n", rep->checks, rep->failed, rep->errors + rep->undecided, total);
	for (size_t i = 0; i < rep->n; i++) {
		const soak_gate_run_t *gr = &rep->runs[i];
		char name[128], ts[32], id[32];
		snprintf(name, sizeof(name), "soak.gate.%s", gr->run);
		timestamp(gr->started_at, ts, sizeof(ts));
		snprintf(id, sizeof(id), "%lld", (long long)gr->run_id);
		fputs("  <testsuite", f);
		attr(f, "name", name);
		fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
			gr->n, gr->failed, gr->errors + gr->undecided, gr->skipped,
			isnan(gr->time_s) ? 0.0 : gr->time_s);
		if (ts[0])
			attr(f, "timestamp", ts);
		if (gr->host[0])
			attr(f, "hostname", gr->host);
		fputs(">\n    <properties>\n", f);
		property(f, "run_id", id);
		property(f, "run", gr->title);
		property(f, "workload", gr->workload);
		property(f, "thresholds", rep->thresholds);
		if (rep->baseline[0])
			property(f, "baseline", rep->baseline);
		if (rep->family[0])
			property(f, "baseline_method", rep->family);
		fputs("    </properties>\n", f);
		for (size_t j = 0; j < gr->n; j++)
			testcase(f, gr, &gr->checks[j]);
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	return ferror(f) ? -EIO : 0;
}
