/*
 * NAME
 *	match_ac.c - one Aho-Corasick automaton over ASCII-folded literals
 * SYNOPSIS
 *	#include "store/match.h"
 * DESCRIPTION
 *	A trie of the literals with failure links (and "dictionary" links
 *	to the nearest shorter literal ending at the same place), so one
 *	pass over a subject finds every literal in it.  The root keeps a
 *	table of 256 children; other nodes keep a sibling list, which is
 *	short in practice (literals share few prefixes), so the automaton
 *	costs about 20 bytes per literal byte.
 * DIAGNOSTICS
 *	ac_add and ac_finish return false when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "store/match.h"
#include "store/store.h"

struct ac_node {
	int32_t child, sibling;	/* first child, next sibling; 0: none */
	int32_t fail, dict;	/* dict: nearest node with a literal, 0 */
	int32_t lit;		/* literal ending here, or -1 */
	uint8_t byte;
};

struct ac {
	struct ac_node *node;
	int32_t n, cap;
	int32_t root[256];	/* children of the root (node 0); 0: none */
};

struct ac *ac_new(void)
{
	struct ac *a = calloc(1, sizeof(*a));

	if (a && !(a->node = calloc(1, sizeof(*a->node)))) {
		free(a);
		return NULL;
	}
	if (a) {
		a->n = a->cap = 1;
		a->node[0].lit = -1;
	}
	return a;
}

void ac_free(struct ac *a)
{
	if (a)
		free(a->node);
	free(a);
}

size_t ac_bytes(const struct ac *a)
{
	return sizeof(*a) + (size_t)a->cap * sizeof(*a->node);
}

/* go - the child of u by byte c, or 0. */
static inline int32_t go(const struct ac *a, int32_t u, uint8_t c)
{
	if (u == 0)
		return a->root[c];
	for (int32_t v = a->node[u].child; v; v = a->node[v].sibling)
		if (a->node[v].byte == c)
			return v;
	return 0;
}

/* new_child - append a child of u by byte c; 0 when out of memory. */
static int32_t new_child(struct ac *a, int32_t u, uint8_t c)
{
	struct ac_node *v;

	if (a->n == a->cap) {
		int32_t cap = a->cap * 2;
		struct ac_node *n = realloc(a->node, (size_t)cap * sizeof(*n));
		if (!n)
			return 0;
		a->node = n;
		a->cap = cap;
	}
	v = &a->node[a->n];
	*v = (struct ac_node){ .lit = -1, .byte = c };
	if (u == 0)
		a->root[c] = a->n;
	else {
		v->sibling = a->node[u].child;
		a->node[u].child = a->n;
	}
	return a->n++;
}

bool ac_add(struct ac *a, const char *s, size_t len, int32_t lit)
{
	int32_t u = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = store_ascii_lower((unsigned char)s[i]);
		int32_t v = go(a, u, c);
		if (!v && !(v = new_child(a, u, c)))
			return false;
		u = v;
	}
	a->node[u].lit = lit;
	return true;
}

/* link - the failure and dictionary links of v, child of u by c. */
static void link(struct ac *a, int32_t u, int32_t v, uint8_t c)
{
	int32_t f = a->node[u].fail, x = 0;

	if (u != 0) {
		while (!(x = go(a, f, c)) && f)
			f = a->node[f].fail;
	}
	a->node[v].fail = x;
	a->node[v].dict = a->node[x].lit >= 0 ? x : a->node[x].dict;
}

bool ac_finish(struct ac *a)
{
	int32_t *queue = malloc((size_t)a->n * sizeof(*queue));
	int32_t head = 0, tail = 0;

	if (!queue)
		return false;
	for (int c = 0; c < 256; c++)
		if (a->root[c]) {
			link(a, 0, a->root[c], (uint8_t)c);
			queue[tail++] = a->root[c];
		}
	while (head < tail) {
		int32_t u = queue[head++];
		for (int32_t v = a->node[u].child; v; v = a->node[v].sibling) {
			link(a, u, v, a->node[v].byte);
			queue[tail++] = v;
		}
	}
	free(queue);
	return true;
}

void ac_scan(const struct ac *a, const char *s, size_t len, ac_hit_fn hit,
	     void *arg)
{
	int32_t u = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = store_ascii_lower((unsigned char)s[i]);
		int32_t v;

		while (!(v = go(a, u, c)) && u)
			u = a->node[u].fail;
		u = v;
		for (int32_t t = a->node[u].lit >= 0 ? u : a->node[u].dict; t;
		     t = a->node[t].dict)
			hit(arg, a->node[t].lit, i + 1);
	}
}
