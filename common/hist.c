/* hist.c - pure functions over soak_hist_t; see include/soak/hist.h. */
#include "soak/hist.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void soak_hist_init(soak_hist_t *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t soak_hist_bucket_low(unsigned i)
{
	if (i < SOAK_HIST_LINEAR)
		return i;
	unsigned j = i - SOAK_HIST_LINEAR;
	unsigned e = SOAK_HIST_SUB_BITS + 1 + j / SOAK_HIST_SUB;
	uint64_t m = j % SOAK_HIST_SUB;
	return (SOAK_HIST_SUB + m) << (e - SOAK_HIST_SUB_BITS);
}

uint64_t soak_hist_bucket_high(unsigned i)
{
	if (i < SOAK_HIST_LINEAR)
		return i;
	unsigned e = SOAK_HIST_SUB_BITS + 1 + (i - SOAK_HIST_LINEAR) / SOAK_HIST_SUB;
	return soak_hist_bucket_low(i) + (1ull << (e - SOAK_HIST_SUB_BITS)) - 1;
}

void soak_hist_settle(soak_hist_t *h)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
		n += h->b[i];
	h->count = n;
	if (!n) {
		h->min = UINT64_MAX;
		h->max = 0;
	}
}

void soak_hist_merge(soak_hist_t *dst, const soak_hist_t *src)
{
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->touched |= src->touched;
	if (src->count && src->max > dst->max)
		dst->max = src->max;
	if (src->count && src->min < dst->min)
		dst->min = src->min;
}

void soak_hist_diff(soak_hist_t *out, const soak_hist_t *now, const soak_hist_t *before)
{
	/* Every bucket is assigned below: only the header is reset (the
	 * runner calls this on every sample). */
	out->count = out->sum = out->max = out->touched = 0;
	out->min = UINT64_MAX;
	int lo = -1, hi = -1;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++) {
		/* A torn read can make a bucket look smaller than before: clamp at 0. */
		uint64_t d = now->b[i] >= before->b[i] ? now->b[i] - before->b[i] : 0;
		out->b[i] = d;
		out->count += d;
		if (d) {
			out->touched |= 1ull << (i / SOAK_HIST_CHUNK);
			if (lo < 0)
				lo = (int)i;
			hi = (int)i;
		}
	}
	out->sum = now->sum >= before->sum ? now->sum - before->sum : 0;
	if (out->count)
		soak_hist_window_bounds((unsigned)lo, (unsigned)hi, now->max, before->max, &out->min, &out->max);
}

void soak_hist_window_bounds(unsigned lo, unsigned hi, uint64_t now_max, uint64_t before_max,
			     uint64_t *min, uint64_t *max)
{
	*min = soak_hist_bucket_low(lo);
	/* The exact max survives when it was set in this window. */
	*max = now_max > before_max ? now_max : soak_hist_bucket_high(hi);
	if (*max < *min)
		*max = soak_hist_bucket_high(hi);
}

/* The rank of quantile q among count values (1-based; the epsilon keeps
 * 0.07 * 100 from rounding up to rank 8). */
static uint64_t quantile_rank(double q, uint64_t count)
{
	uint64_t rank = (uint64_t)ceil(q * (double)count - 1e-9);
	return rank < 1 ? 1 : rank;
}

/* The value reported for bucket i: its midpoint, clamped to [min, max]. */
static double bucket_value(unsigned i, uint64_t min, uint64_t max)
{
	double mid = ((double)soak_hist_bucket_low(i) + (double)soak_hist_bucket_high(i)) / 2.0;
	if (mid > (double)max)
		mid = (double)max;
	if (mid < (double)min)
		mid = (double)min;
	return mid;
}

double soak_hist_quantile(const soak_hist_t *h, double q, int *ok)
{
	if (!h->count) {
		if (ok)
			*ok = 0;
		return 0;
	}
	if (ok)
		*ok = 1;
	if (q >= 1.0)
		return (double)h->max;
	uint64_t rank = quantile_rank(q, h->count), seen = 0;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return bucket_value(i, h->min, h->max);
	}
	return (double)h->max;
}

void soak_hist_quantiles_sparse(const soak_hist_sparse_t *sp, const double *q, size_t nq, double *out)
{
	for (size_t k = 0; k < nq; k++) {
		if (q[k] >= 1.0) {
			out[k] = (double)sp->max;
			continue;
		}
		uint64_t rank = quantile_rank(q[k], sp->count), seen = 0;
		out[k] = (double)sp->max;
		for (size_t j = 0; j < sp->n; j++) {
			seen += sp->cnt[j];
			if (seen >= rank) {
				out[k] = bucket_value(sp->idx[j], sp->min, sp->max);
				break;
			}
		}
	}
}

double soak_hist_mean(const soak_hist_t *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int soak_hist_encode(const soak_hist_t *h, char *buf, size_t len)
{
	size_t off = 0;
	int n = snprintf(buf, len, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
			 h->count, h->sum, h->count ? h->min : 0, h->max);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	off = (size_t)n;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		n = snprintf(buf + off, len - off, " %u:%" PRIu64, i, h->b[i]);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}

/* A plain decimal: digits only (strtoull would also take a sign, leading
 * spaces and "-1" as 2^64-1), no overflow. */
static int read_u64(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

/* Accepts exactly what soak_hist_encode writes for a histogram that was
 * filled by soak_hist_record/merge/diff: single spaces, bucket indexes
 * strictly increasing, every count > 0 and summing to the total without
 * overflow, an empty histogram with min = max = 0, otherwise min <= max with
 * min inside the first non-empty bucket and max not below the last one (a
 * max above its bucket is possible: the worker's shared histogram can be read
 * between the two stores). */
int soak_hist_decode(soak_hist_t *h, const char *text)
{
	soak_hist_init(h);
	uint64_t hdr[4];
	const char *p = text;
	for (int k = 0; k < 4; k++) {
		if (k > 0 && *p++ != ' ')
			goto bad;
		if (read_u64(&p, &hdr[k]) < 0)
			goto bad;
	}
	uint64_t total = 0;
	int first = -1, last = -1;
	while (*p == ' ') {
		p++;
		uint64_t i, c;
		if (read_u64(&p, &i) < 0 || *p++ != ':' || read_u64(&p, &c) < 0)
			goto bad;
		if (i >= SOAK_HIST_BUCKETS || (last >= 0 && i <= (uint64_t)last) || c == 0 ||
		    c > UINT64_MAX - total)
			goto bad;
		h->b[i] = c;
		h->touched |= 1ull << (i / SOAK_HIST_CHUNK);
		total += c;
		if (first < 0)
			first = (int)i;
		last = (int)i;
	}
	if (*p != '\0' || total != hdr[0])
		goto bad;
	if (hdr[0] == 0) {
		if (hdr[2] || hdr[3])
			goto bad;
	} else if (hdr[2] > hdr[3] || hdr[2] < soak_hist_bucket_low((unsigned)first) ||
		   hdr[2] > soak_hist_bucket_high((unsigned)first) ||
		   hdr[3] < soak_hist_bucket_low((unsigned)last)) {
		goto bad;
	}
	h->count = hdr[0];
	h->sum = hdr[1];
	h->min = hdr[0] ? hdr[2] : UINT64_MAX;
	h->max = hdr[3];
	return 0;
bad:
	soak_hist_init(h);
	return -EINVAL;
}
