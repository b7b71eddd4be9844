/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/iova/iova_tree.c: the augmented AVL interval tree.
 *
 * Each randomized test keeps a brute-force model (a plain array) next to
 * the tree, calls iova_tree_check() after every change and compares every
 * query (floor, intersection walks, hole search) with the model's answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iova_tree.h"
#include "uiommu_ut.h"

#define CHECK_TREE(t, disjoint) do { \
	const char *why_ = NULL; \
	int rc_ = iova_tree_check((t), (disjoint), &why_); \
	if (rc_ != 0) \
		fprintf(stderr, "tree check: %s\n", why_ ? why_ : "?"); \
	UT_ASSERT_FATAL(rc_ == 0); \
} while (0)

struct tnode {
	struct iova_node node;
	int in_tree;
};

/* ---- model: array of pointers to nodes in the tree ---- */

struct model {
	struct tnode **v;
	size_t n, cap;
};

static void
model_add(struct model *m, struct tnode *x)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		UT_ASSERT_FATAL(m->v != NULL);
	}
	m->v[m->n++] = x;
}

static void
model_del(struct model *m, size_t i)
{
	m->v[i] = m->v[--m->n];
}

/* Brute force: does [s, l] overlap any model range? */
static int
model_overlaps(const struct model *m, uint64_t s, uint64_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->node.start <= l && s <= m->v[i]->node.last)
			return 1;
	return 0;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct tnode *x = *(struct tnode *const *)a;
	const struct tnode *y = *(struct tnode *const *)b;

	if (x->node.start != y->node.start)
		return x->node.start < y->node.start ? -1 : 1;
	return 0;
}

/* Sorted copy of the model (disjoint: order is unique). */
static struct tnode **
model_sorted(const struct model *m)
{
	struct tnode **s = malloc((m->n + 1) * sizeof(*s));

	UT_ASSERT_FATAL(s != NULL);
	if (m->n > 0) {
		memcpy(s, m->v, m->n * sizeof(*s));
		qsort(s, m->n, sizeof(*s), cmp_node);
	}
	return s;
}

/* Brute-force hole search over a disjoint model, same contract as the tree. */
static int
model_find_hole(const struct model *m, uint64_t from, uint64_t hi,
		uint64_t need, uint64_t *hs, uint64_t *hl)
{
	struct tnode **s = model_sorted(m);
	uint64_t pos = 0;  /* first address after the previous range */
	int pos_valid = 1, found = 0;

	for (size_t i = 0; i <= m->n && !found; i++) {
		uint64_t rs, rl;

		if (!pos_valid)
			break;
		rs = pos;
		if (i < m->n) {
			if (s[i]->node.start == 0) {
				rl = 0;
				rs = 1; /* empty run */
			} else {
				rl = s[i]->node.start - 1;
			}
		} else {
			rl = UINT64_MAX;
		}
		if (rs <= rl) {
			uint64_t a = rs > from ? rs : from;
			uint64_t b = rl < hi ? rl : hi;

			if (a <= b && b - a >= need - 1) {
				*hs = a;
				*hl = b;
				found = 1;
			}
		}
		if (i < m->n) {
			if (s[i]->node.last == UINT64_MAX)
				pos_valid = 0;
			else
				pos = s[i]->node.last + 1;
		}
	}
	free(s);
	return found;
}

static void
tree_free_all(struct iova_tree *t, struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
	t->root = NULL;
	t->count = 0;
}

/* ---- tests ---- */

static void
test_tree_empty(void)
{
	struct iova_tree t;
	uint64_t hs = 1, hl = 1;

	iova_tree_init(&t, true);
	CHECK_TREE(&t, true);
	CU_ASSERT_PTR_NULL(iova_tree_first(&t));
	CU_ASSERT_PTR_NULL(iova_tree_last(&t));
	CU_ASSERT_PTR_NULL(iova_tree_floor(&t, UINT64_MAX));
	CU_ASSERT_PTR_NULL(iova_tree_iter_first(&t, 0, UINT64_MAX));
	CU_ASSERT_TRUE(iova_tree_find_hole(&t, 0, UINT64_MAX, UINT64_MAX,
					   &hs, &hl));
	CU_ASSERT_EQUAL(hs, 0);
	CU_ASSERT_EQUAL(hl, UINT64_MAX);
	CU_ASSERT_TRUE(iova_tree_find_hole(&t, 5, 9, 5, &hs, &hl));
	CU_ASSERT_EQUAL(hs, 5);
	CU_ASSERT_EQUAL(hl, 9);
	CU_ASSERT_FALSE(iova_tree_find_hole(&t, 5, 9, 6, &hs, &hl));
	CU_ASSERT_FALSE(iova_tree_find_hole(&t, 9, 5, 1, &hs, &hl));
	CU_ASSERT_FALSE(iova_tree_find_hole(&t, 0, 9, 0, &hs, &hl));
}

static void
test_tree_edges(void)
{
	struct iova_tree t;
	struct tnode a = { .node = { .start = 0, .last = 0 } };
	struct tnode b = { .node = { .start = UINT64_MAX, .last = UINT64_MAX } };
	struct tnode c = { .node = { .start = 10, .last = 19 } };
	uint64_t hs = 0, hl = 0;

	iova_tree_init(&t, true);
	iova_tree_insert(&t, &a.node);
	iova_tree_insert(&t, &b.node);
	iova_tree_insert(&t, &c.node);
	CHECK_TREE(&t, true);
	CU_ASSERT_EQUAL(t.count, 3);
	CU_ASSERT_PTR_EQUAL(iova_tree_first(&t), &a.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_last(&t), &b.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_floor(&t, UINT64_MAX), &b.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_floor(&t, UINT64_MAX - 1), &c.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_floor(&t, 0), &a.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_iter_first(&t, UINT64_MAX, UINT64_MAX),
			    &b.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_iter_first(&t, 1, UINT64_MAX), &c.node);
	CU_ASSERT_PTR_EQUAL(iova_tree_iter_next(&c.node, 1, UINT64_MAX),
			    &b.node);
	CU_ASSERT_PTR_NULL(iova_tree_iter_next(&b.node, 1, UINT64_MAX));
	CU_ASSERT_PTR_NULL(iova_tree_iter_first(&t, 1, 9));
	/* holes: [1, 9] and [20, MAX - 1] */
	CU_ASSERT_TRUE(iova_tree_find_hole(&t, 0, UINT64_MAX, 1, &hs, &hl));
	CU_ASSERT_EQUAL(hs, 1);
	CU_ASSERT_EQUAL(hl, 9);
	CU_ASSERT_TRUE(iova_tree_find_hole(&t, 0, UINT64_MAX, 10, &hs, &hl));
	CU_ASSERT_EQUAL(hs, 20);
	CU_ASSERT_EQUAL(hl, UINT64_MAX - 1);
	CU_ASSERT_TRUE(iova_tree_find_hole(&t, 15, 30, 5, &hs, &hl));
	CU_ASSERT_EQUAL(hs, 20);
	CU_ASSERT_EQUAL(hl, 30);
	CU_ASSERT_FALSE(iova_tree_find_hole(&t, 15, 30, 12, &hs, &hl));
	CU_ASSERT_FALSE(iova_tree_find_hole(&t, UINT64_MAX, UINT64_MAX, 1,
					    &hs, &hl));
	/* the gap before the first node counts addresses from 0 */
	iova_tree_remove(&t, &a.node);
	CHECK_TREE(&t, true);
	CU_ASSERT_EQUAL(c.node.gap, 10);
	CU_ASSERT_TRUE(iova_tree_find_hole(&t, 0, UINT64_MAX, 10, &hs, &hl));
	CU_ASSERT_EQUAL(hs, 0);
	CU_ASSERT_EQUAL(hl, 9);
	iova_tree_remove(&t, &b.node);
	iova_tree_remove(&t, &c.node);
	CHECK_TREE(&t, true);
	CU_ASSERT_PTR_NULL(t.root);
}

/* A corrupted tree must be reported, not accepted. */
static void
test_tree_check_detects(void)
{
	struct iova_tree t;
	struct tnode n[3] = {
		{ .node = { .start = 0, .last = 9 } },
		{ .node = { .start = 20, .last = 29 } },
		{ .node = { .start = 40, .last = 49 } },
	};
	const char *why = NULL;

	iova_tree_init(&t, true);
	for (int i = 0; i < 3; i++)
		iova_tree_insert(&t, &n[i].node);
	CHECK_TREE(&t, true);
	n[1].node.sub_gap++;
	CU_ASSERT_EQUAL(iova_tree_check(&t, true, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	n[1].node.sub_gap--;
	n[2].node.last = 19 + 100; /* overlaps nothing but stale sub_last */
	CU_ASSERT_EQUAL(iova_tree_check(&t, true, NULL), -EINVAL);
	n[2].node.last = 49;
	n[0].node.last = 25; /* overlaps n[1] */
	n[0].node.sub_last = 25;
	CU_ASSERT_EQUAL(iova_tree_check(&t, true, NULL), -EINVAL);
	n[0].node.last = 9;
	n[0].node.sub_last = 9;
	CHECK_TREE(&t, true);
	t.count++;
	CU_ASSERT_EQUAL(iova_tree_check(&t, true, NULL), -EINVAL);
	t.count--;
	n[1].node.height = 7;
	CU_ASSERT_EQUAL(iova_tree_check(&t, true, NULL), -EINVAL);
	n[1].node.height = 2;
	CHECK_TREE(&t, true);
}

static void
drain_count(struct iova_node *n, void *arg)
{
	(*(uint64_t *)arg)++;
	free((struct tnode *)(void *)((char *)n - offsetof(struct tnode, node)));
}

/* Ascending inserts, removal in random order: height stays AVL-bounded. */
static void
test_tree_sequential(void)
{
	const uint64_t count = 100000;
	unsigned long long seed = ut_seed();
	struct tnode **v = calloc(count, sizeof(*v));
	struct iova_tree t;
	uint64_t drained = 0;

	UT_ASSERT_FATAL(v != NULL);
	iova_tree_init(&t, true);
	for (uint64_t i = 0; i < count; i++) {
		v[i] = calloc(1, sizeof(**v));
		UT_ASSERT_FATAL(v[i] != NULL);
		v[i]->node.start = i * 16;
		v[i]->node.last = i * 16 + 7;
		iova_tree_insert(&t, &v[i]->node);
	}
	CHECK_TREE(&t, true);
	/* AVL: h < 1.4405 log2(n + 2); log2(100002) < 16.61 -> h <= 23 */
	CU_ASSERT_TRUE(t.root->height <= 23);
	CU_ASSERT_EQUAL(t.root->sub_gap, 8);
	for (uint64_t i = count - 1; i > 0; i--) {
		uint64_t j = ut_rand(&seed) % (i + 1);
		struct tnode *x = v[i];

		v[i] = v[j];
		v[j] = x;
	}
	for (uint64_t i = 0; i < count / 2; i++) {
		iova_tree_remove(&t, &v[i]->node);
		free(v[i]);
	}
	CHECK_TREE(&t, true);
	CU_ASSERT_EQUAL(t.count, count - count / 2);
	iova_tree_drain(&t, drain_count, &drained);
	CU_ASSERT_EQUAL(drained, count - count / 2);
	CU_ASSERT_PTR_NULL(t.root);
	CU_ASSERT_EQUAL(t.count, 0);
	free(v);
}

/* Disjoint ranges in a small space with a gap-tracking tree. */
static void
test_tree_random_disjoint(void)
{
	const int ops = 20000;
	const uint64_t space = 4096;
	unsigned long long seed = ut_seed();
	struct iova_tree t;
	struct model m = { 0 };

	iova_tree_init(&t, true);
	for (int op = 0; op < ops; op++) {
		unsigned int what = ut_rand(&seed) % 8;

		if (what < 4) {
			/* insert a random free range; near the ends sometimes */
			uint64_t s = ut_rand(&seed) % space;
			uint64_t len = 1 + ut_rand(&seed) % 24;
			uint64_t l;
			struct tnode *x;

			if (what == 3)
				s = UINT64_MAX - ut_rand(&seed) % space;
			l = s + len - 1 < s ? UINT64_MAX : s + len - 1;
			if (model_overlaps(&m, s, l))
				continue;
			x = calloc(1, sizeof(*x));
			UT_ASSERT_FATAL(x != NULL);
			x->node.start = s;
			x->node.last = l;
			iova_tree_insert(&t, &x->node);
			model_add(&m, x);
		} else if (what < 6 && m.n > 0) {
			size_t i = ut_rand(&seed) % m.n;
			struct tnode *x = m.v[i];

			iova_tree_remove(&t, &x->node);
			model_del(&m, i);
			free(x);
		} else {
			/* queries */
			uint64_t q = ut_rand(&seed) % (space + 64);
			uint64_t q2 = q + ut_rand(&seed) % 64;
			uint64_t need = 1 + ut_rand(&seed) % 40;
			uint64_t hs = 0, hl = 0, ms = 0, ml = 0;
			const struct iova_node *best = NULL, *n;
			size_t hits = 0;
			int tf, mf;

			if (ut_rand(&seed) % 4 == 0) {
				q = UINT64_MAX - ut_rand(&seed) % (space + 64);
				q2 = q + ut_rand(&seed) % 64;
				if (q2 < q)
					q2 = UINT64_MAX;
			}
			for (size_t i = 0; i < m.n; i++)
				if (m.v[i]->node.start <= q &&
				    (best == NULL ||
				     m.v[i]->node.start > best->start))
					best = &m.v[i]->node;
			CU_ASSERT_PTR_EQUAL(iova_tree_floor(&t, q), best);
			for (n = iova_tree_iter_first(&t, q, q2); n != NULL;
			     n = iova_tree_iter_next(n, q, q2)) {
				CU_ASSERT_TRUE(n->start <= q2 && q <= n->last);
				hits++;
			}
			for (size_t i = 0; i < m.n; i++)
				if (m.v[i]->node.start <= q2 &&
				    q <= m.v[i]->node.last)
					hits--;
			CU_ASSERT_EQUAL(hits, 0);
			tf = iova_tree_find_hole(&t, q, q2, need, &hs, &hl);
			mf = model_find_hole(&m, q, q2, need, &ms, &ml);
			CU_ASSERT_EQUAL(tf, mf);
			if (tf && mf) {
				CU_ASSERT_EQUAL(hs, ms);
				CU_ASSERT_EQUAL(hl, ml);
			}
		}
		CHECK_TREE(&t, true);
		CU_ASSERT_EQUAL(t.count, m.n);
	}
	/* in-order walk equals the sorted model */
	{
		struct tnode **s = model_sorted(&m);
		const struct iova_node *n = iova_tree_first(&t);

		for (size_t i = 0; i < m.n; i++, n = iova_tree_next(n))
			CU_ASSERT_PTR_EQUAL(n, &s[i]->node);
		CU_ASSERT_PTR_NULL(n);
		n = iova_tree_last(&t);
		for (size_t i = m.n; i > 0; i--, n = iova_tree_prev(n))
			CU_ASSERT_PTR_EQUAL(n, &s[i - 1]->node);
		CU_ASSERT_PTR_NULL(n);
		free(s);
	}
	tree_free_all(&t, &m);
}

/* Overlapping ranges (duplicates too) without gap tracking. */
static void
test_tree_random_overlap(void)
{
	const int ops = 20000;
	unsigned long long seed = ut_seed();
	struct iova_tree t;
	struct model m = { 0 };

	iova_tree_init(&t, false);
	for (int op = 0; op < ops; op++) {
		unsigned int what = ut_rand(&seed) % 8;

		if (what < 3) {
			uint64_t s = ut_rand(&seed) % 1024;
			uint64_t len = 1 + ut_rand(&seed) % (what == 0 ? 512 : 8);
			struct tnode *x = calloc(1, sizeof(*x));

			UT_ASSERT_FATAL(x != NULL);
			x->node.start = s;
			x->node.last = s + len - 1;
			iova_tree_insert(&t, &x->node);
			model_add(&m, x);
		} else if (what < 5 && m.n > 0) {
			size_t i = ut_rand(&seed) % m.n;
			struct tnode *x = m.v[i];

			iova_tree_remove(&t, &x->node);
			model_del(&m, i);
			free(x);
		} else {
			uint64_t q = ut_rand(&seed) % 1600;
			uint64_t q2 = q + ut_rand(&seed) % 32;
			const struct iova_node *n, *prev = NULL;
			size_t hits = 0, expect = 0;

			for (n = iova_tree_iter_first(&t, q, q2); n != NULL;
			     n = iova_tree_iter_next(n, q, q2)) {
				CU_ASSERT_TRUE(n->start <= q2 && q <= n->last);
				if (prev != NULL)
					CU_ASSERT_TRUE(prev->start <= n->start);
				prev = n;
				hits++;
			}
			for (size_t i = 0; i < m.n; i++)
				if (m.v[i]->node.start <= q2 &&
				    q <= m.v[i]->node.last)
					expect++;
			CU_ASSERT_EQUAL(hits, expect);
		}
		CHECK_TREE(&t, false);
		CU_ASSERT_EQUAL(t.count, m.n);
	}
	tree_free_all(&t, &m);
}

static const struct ut_case cases[] = {
	UT_CASE(test_tree_empty),
	UT_CASE(test_tree_edges),
	UT_CASE(test_tree_check_detects),
	UT_CASE(test_tree_sequential),
	UT_CASE(test_tree_random_disjoint),
	UT_CASE(test_tree_random_overlap),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("iova_tree", cases, argc, argv);
}
