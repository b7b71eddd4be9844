/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Augmented AVL tree of inclusive ranges, the index behind every IOAS.
 *
 * Design. Nodes are ordered by start. Each node stores its AVL height and
 * two or three subtree summaries (see iova_tree.h): the largest `last`
 * below it, and, in gap-tracking trees, its own `gap` (free addresses
 * between its in-order predecessor's last and its start) and the largest gap
 * below it. All structural changes go through one routine, fixup(), which
 * walks from the lowest changed node to the root, recomputing the summaries
 * and rotating wherever the AVL balance is off by two. Rotations recompute
 * the two nodes they move, lower one first. A walk to the root costs
 * O(log n) and makes insertion and removal share one simple, checkable
 * path: no early exit, so a summary can never be left stale above the
 * point where the height stopped changing.
 *
 * `gap` depends on the predecessor, which is not in the node's subtree, so
 * insertion and removal also refresh the successor's gap and walk from it.
 * The successor of a freshly linked leaf is one of its ancestors, so the
 * single walk after an insertion covers it; removal does a second walk.
 *
 * AVL rather than red-black: a lower height bound (1.44 log2 n against
 * 2 log2 n) helps the read-mostly lookups of a stage-2 IOAS, and the
 * summaries are recomputed on the whole path anyway, so red-black's cheaper
 * rebalancing would buy little.
 *
 * Search costs, all O(log n) with n nodes and h <= 1.44 log2(n + 2):
 *  - iter_first/iter_next follow the classic interval-tree descent: go left
 *    while the left subtree still holds a range ending at or after `first`;
 *  - gap_search() finds the leftmost node past a key whose gap is large
 *    enough: subtrees with too small a sub_gap are skipped whole, and a
 *    subtree entirely past the key that is not skipped always holds an
 *    answer, so the descent never backtracks more than once per level.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "iova_tree.h"

static inline int32_t
height_of(const struct iova_node *n)
{
	return n != NULL ? n->height : 0;
}

static inline uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Free addresses strictly between prev (NULL: address -1) and n. */
static inline uint64_t
gap_between(const struct iova_node *prev, const struct iova_node *n)
{
	if (prev == NULL)
		return n->start;
	return n->start > prev->last ? n->start - prev->last - 1 : 0;
}

/* Recompute n's height and subtree summaries from its children. */
static void
update(const struct iova_tree *t, struct iova_node *n)
{
	int32_t hl = height_of(n->left), hr = height_of(n->right);
	uint64_t sl = n->last;

	n->height = 1 + (hl > hr ? hl : hr);
	if (n->left != NULL)
		sl = max_u64(sl, n->left->sub_last);
	if (n->right != NULL)
		sl = max_u64(sl, n->right->sub_last);
	n->sub_last = sl;
	if (t->track_gaps) {
		uint64_t g = n->gap;

		if (n->left != NULL)
			g = max_u64(g, n->left->sub_gap);
		if (n->right != NULL)
			g = max_u64(g, n->right->sub_gap);
		n->sub_gap = g;
	}
}

/* Make the link that pointed at old (from parent p, or the root) point at n. */
static void
replace_child(struct iova_tree *t, struct iova_node *p, struct iova_node *old,
	      struct iova_node *n)
{
	if (p == NULL)
		t->root = n;
	else if (p->left == old)
		p->left = n;
	else
		p->right = n;
}

/* Rotate x down to the left; returns the new subtree root (x's right). */
static struct iova_node *
rotate_left(struct iova_tree *t, struct iova_node *x)
{
	struct iova_node *y = x->right;

	x->right = y->left;
	if (y->left != NULL)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update(t, x);
	update(t, y);
	return y;
}

/* Rotate x down to the right; returns the new subtree root (x's left). */
static struct iova_node *
rotate_right(struct iova_tree *t, struct iova_node *x)
{
	struct iova_node *y = x->left;

	x->left = y->right;
	if (y->right != NULL)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update(t, x);
	update(t, y);
	return y;
}

/*
 * Walk from n to the root: recompute each node and restore the AVL balance
 * with single or double rotations. Used after every structural change.
 */
static void
fixup(struct iova_tree *t, struct iova_node *n)
{
	while (n != NULL) {
		int32_t bf;

		update(t, n);
		bf = height_of(n->left) - height_of(n->right);
		if (bf > 1) {
			if (height_of(n->left->left) < height_of(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (bf < -1) {
			if (height_of(n->right->right) < height_of(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		}
		n = n->parent;
	}
}

void
iova_tree_init(struct iova_tree *t, bool track_gaps)
{
	t->root = NULL;
	t->count = 0;
	t->track_gaps = track_gaps;
}

static struct iova_node *
leftmost(struct iova_node *n)
{
	while (n != NULL && n->left != NULL)
		n = n->left;
	return n;
}

static struct iova_node *
rightmost(struct iova_node *n)
{
	while (n != NULL && n->right != NULL)
		n = n->right;
	return n;
}

struct iova_node *
iova_tree_first(const struct iova_tree *t)
{
	return leftmost(t->root);
}

struct iova_node *
iova_tree_last(const struct iova_tree *t)
{
	return rightmost(t->root);
}

struct iova_node *
iova_tree_next(const struct iova_node *n)
{
	const struct iova_node *p;

	if (n->right != NULL)
		return leftmost(n->right);
	p = n->parent;
	while (p != NULL && p->right == n) {
		n = p;
		p = p->parent;
	}
	return (struct iova_node *)(uintptr_t)p;
}

struct iova_node *
iova_tree_prev(const struct iova_node *n)
{
	const struct iova_node *p;

	if (n->left != NULL)
		return rightmost(n->left);
	p = n->parent;
	while (p != NULL && p->left == n) {
		n = p;
		p = p->parent;
	}
	return (struct iova_node *)(uintptr_t)p;
}

void
iova_tree_insert(struct iova_tree *t, struct iova_node *n)
{
	struct iova_node **link = &t->root, *parent = NULL;

	while (*link != NULL) {
		parent = *link;
		link = n->start < parent->start ? &parent->left : &parent->right;
	}
	n->left = NULL;
	n->right = NULL;
	n->parent = parent;
	n->height = 1;
	n->gap = 0;
	*link = n;
	t->count++;
	if (t->track_gaps) {
		struct iova_node *succ = iova_tree_next(n);

		n->gap = gap_between(iova_tree_prev(n), n);
		/* succ, if any, is an ancestor of the new leaf: fixup covers it */
		if (succ != NULL)
			succ->gap = gap_between(n, succ);
	}
	fixup(t, n);
}

void
iova_tree_remove(struct iova_tree *t, struct iova_node *n)
{
	struct iova_node *succ = NULL, *pred = NULL, *start;

	if (t->track_gaps) {
		succ = iova_tree_next(n);
		pred = iova_tree_prev(n);
	}
	if (n->left != NULL && n->right != NULL) {
		/* Move the in-order successor y into n's place. */
		struct iova_node *y = leftmost(n->right);

		if (y->parent != n) {
			start = y->parent;
			y->parent->left = y->right;
			if (y->right != NULL)
				y->right->parent = y->parent;
			y->right = n->right;
			n->right->parent = y;
		} else {
			start = y;
		}
		y->left = n->left;
		n->left->parent = y;
		y->parent = n->parent;
		replace_child(t, n->parent, n, y);
	} else {
		struct iova_node *c = n->left != NULL ? n->left : n->right;

		if (c != NULL)
			c->parent = n->parent;
		replace_child(t, n->parent, n, c);
		start = n->parent;
	}
	t->count--;
	n->left = n->right = n->parent = NULL;
	fixup(t, start);
	if (succ != NULL) {
		succ->gap = gap_between(pred, succ);
		fixup(t, succ);
	}
}

struct iova_node *
iova_tree_floor(const struct iova_tree *t, uint64_t x)
{
	struct iova_node *n = t->root, *best = NULL;

	while (n != NULL) {
		if (n->start <= x) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

/*
 * Leftmost node of the subtree at n intersecting [first, last], given that
 * n->sub_last >= first. When the left subtree holds a range ending at or
 * after first, the answer is there or nowhere: every node from there on
 * starts at or after that range's start, so if that one starts past last,
 * all do.
 */
static struct iova_node *
subtree_first_hit(struct iova_node *n, uint64_t first, uint64_t last)
{
	for (;;) {
		if (n->left != NULL && n->left->sub_last >= first) {
			n = n->left;
			continue;
		}
		if (n->start > last)
			return NULL;
		if (n->last >= first)
			return n;
		n = n->right;
		if (n == NULL || n->sub_last < first)
			return NULL;
	}
}

struct iova_node *
iova_tree_iter_first(const struct iova_tree *t, uint64_t first, uint64_t last)
{
	if (t->root == NULL || t->root->sub_last < first)
		return NULL;
	return subtree_first_hit(t->root, first, last);
}

struct iova_node *
iova_tree_iter_next(const struct iova_node *cn, uint64_t first, uint64_t last)
{
	struct iova_node *n = (struct iova_node *)(uintptr_t)cn;

	for (;;) {
		struct iova_node *from;

		if (n->right != NULL && n->right->sub_last >= first)
			return subtree_first_hit(n->right, first, last);
		/* Climb to the first ancestor entered from its left side. */
		do {
			from = n;
			n = n->parent;
			if (n == NULL)
				return NULL;
		} while (n->right == from);
		if (n->start > last)
			return NULL;
		if (n->last >= first)
			return n;
	}
}

/* Leftmost node with start > key and gap >= need in the subtree at n. */
static struct iova_node *
gap_search(struct iova_node *n, uint64_t key, uint64_t need)
{
	while (n != NULL && n->sub_gap >= need) {
		if (n->start > key) {
			struct iova_node *r = gap_search(n->left, key, need);

			if (r != NULL)
				return r;
			if (n->gap >= need)
				return n;
		}
		n = n->right;
	}
	return NULL;
}

bool
iova_tree_find_hole(const struct iova_tree *t, uint64_t from, uint64_t hi,
		    uint64_t need, uint64_t *hs, uint64_t *hl)
{
	struct iova_node *a, *b, *c;
	uint64_t s, e;

	if (need == 0 || from > hi)
		return false;
	/* The free run at or right after from (may be empty). */
	a = iova_tree_floor(t, from);
	if (a != NULL && a->last >= from) {
		if (a->last >= hi)
			return false;
		s = a->last + 1;
	} else {
		s = from;
	}
	b = a != NULL ? iova_tree_next(a) : iova_tree_first(t);
	if (b == NULL || b->start > s) {
		e = b != NULL ? b->start - 1 : UINT64_MAX;
		if (e > hi)
			e = hi;
		if (e - s >= need - 1) {
			*hs = s;
			*hl = e;
			return true;
		}
		if (e == hi || b == NULL)
			return false;
	}
	/* Later runs: the gap before some node past b, or the tail. */
	c = gap_search(t->root, b->start, need);
	if (c != NULL) {
		s = iova_tree_prev(c)->last + 1;
		e = c->start - 1;
	} else {
		const struct iova_node *r = iova_tree_last(t);

		if (r->last == UINT64_MAX)
			return false;
		s = r->last + 1;
		e = UINT64_MAX;
	}
	if (s > hi)
		return false;
	if (e > hi)
		e = hi;
	if (e - s < need - 1)
		return false;
	*hs = s;
	*hl = e;
	return true;
}

void
iova_tree_drain(struct iova_tree *t,
		void (*fn)(struct iova_node *n, void *arg), void *arg)
{
	struct iova_node *n = t->root;

	/* Post-order without a stack: detach each leaf from its parent. */
	while (n != NULL) {
		struct iova_node *p;

		if (n->left != NULL) {
			n = n->left;
			continue;
		}
		if (n->right != NULL) {
			n = n->right;
			continue;
		}
		p = n->parent;
		if (p != NULL) {
			if (p->left == n)
				p->left = NULL;
			else
				p->right = NULL;
		}
		n->parent = NULL;
		if (fn != NULL)
			fn(n, arg);
		n = p;
	}
	t->root = NULL;
	t->count = 0;
}

struct check_state {
	const struct iova_tree *t;
	const struct iova_node *prev;  /* previous node in order */
	uint64_t seen;
	bool disjoint;
	const char *why;
};

static int
check_fail(struct check_state *st, const char *why)
{
	if (st->why == NULL)
		st->why = why;
	return -EINVAL;
}

static int
check_node(const struct iova_node *n, const struct iova_node *parent,
	   struct check_state *st)
{
	const struct iova_tree *t = st->t;
	int32_t hl, hr;
	uint64_t v;

	if (n == NULL)
		return 0;
	if (++st->seen > t->count)
		return check_fail(st, "more nodes reachable than counted");
	if (n->parent != parent)
		return check_fail(st, "wrong parent link");
	if (n->start > n->last)
		return check_fail(st, "node with start > last");
	if (check_node(n->left, n, st) != 0)
		return -EINVAL;
	if (st->prev != NULL) {
		if (st->prev->start > n->start)
			return check_fail(st, "nodes out of order");
		if (st->disjoint && st->prev->last >= n->start)
			return check_fail(st, "overlapping ranges");
	}
	if (t->track_gaps && n->gap != gap_between(st->prev, n))
		return check_fail(st, "stale gap");
	st->prev = n;
	if (check_node(n->right, n, st) != 0)
		return -EINVAL;
	hl = height_of(n->left);
	hr = height_of(n->right);
	if (n->height != 1 + (hl > hr ? hl : hr))
		return check_fail(st, "wrong height");
	if (hl - hr > 1 || hr - hl > 1)
		return check_fail(st, "AVL balance violated");
	v = n->last;
	if (n->left != NULL)
		v = max_u64(v, n->left->sub_last);
	if (n->right != NULL)
		v = max_u64(v, n->right->sub_last);
	if (n->sub_last != v)
		return check_fail(st, "stale sub_last");
	if (t->track_gaps) {
		v = n->gap;
		if (n->left != NULL)
			v = max_u64(v, n->left->sub_gap);
		if (n->right != NULL)
			v = max_u64(v, n->right->sub_gap);
		if (n->sub_gap != v)
			return check_fail(st, "stale sub_gap");
	}
	return 0;
}

int
iova_tree_check(const struct iova_tree *t, bool disjoint, const char **why)
{
	struct check_state st = { .t = t, .disjoint = disjoint };
	int rc;

	rc = check_node(t->root, NULL, &st);
	if (rc == 0 && st.seen != t->count)
		rc = check_fail(&st, "fewer nodes reachable than counted");
	if (why != NULL)
		*why = st.why;
	return rc;
}
