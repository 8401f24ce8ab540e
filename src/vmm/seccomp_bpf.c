/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp_build: a class's lists (seccomp_lists.c) merged and written as a
 * classic BPF program, in the layout of
 * Documentation/userspace-api/seccomp_filter.rst: the arch word first (a
 * syscall number means something else under another ABI), then the number,
 * then, for a few calls, one argument. Pure: no system call, so that the unit
 * test runs the programs on made-up seccomp_data.
 */
#include "vmm/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* __X32_SYSCALL_BIT: x32 calls enter through the same door as x86_64 ones,
 * with this bit set in the number; none is allowed. */
#define SC_X32_BIT 0x40000000u

#define SC_MAX_VALS 64 /* values of one merged IN rule */
#define SC_MAX_RULES 512

#define SC_OFF_NR offsetof(struct seccomp_data, nr)
#define SC_OFF_ARCH offsetof(struct seccomp_data, arch)
/* The low word of args[i] (little endian). */
#define SC_OFF_ARG(i) (offsetof(struct seccomp_data, args) + 8 * (i))

/* A rule once merged: each syscall number appears once in a program. */
struct sc_merged {
	int nr;
	enum seccomp_rule_kind kind;
	unsigned int arg, nvals;
	uint32_t vals[SC_MAX_VALS];
};

struct sc_set {
	struct sc_merged r[SC_MAX_RULES];
	size_t n;
};

static bool same_rule(const struct sc_merged *m, const struct seccomp_rule *r)
{
	return m->kind == r->kind && m->arg == r->arg && m->nvals == r->nvals &&
	       (!r->nvals || !memcmp(m->vals, r->vals, r->nvals * sizeof(uint32_t)));
}

/* Adds r to the set. Two rules for one number: values of the same argument
 * add up; any other difference (the base meets a class's IN and another's
 * ANY) gives the looser ANY. */
static int merge_rule(struct sc_set *s, const struct seccomp_rule *r)
{
	struct sc_merged *m = NULL;

	if (r->nvals > SC_MAX_VALS || r->arg > 5)
		return -EINVAL;
	for (size_t i = 0; i < s->n && !m; i++)
		if (s->r[i].nr == r->nr)
			m = &s->r[i];
	if (!m) {
		if (s->n == SC_MAX_RULES)
			return -E2BIG;
		m = &s->r[s->n++];
		*m = (struct sc_merged){ .nr = r->nr, .kind = r->kind, .arg = r->arg,
					 .nvals = r->nvals };
		if (r->nvals)
			memcpy(m->vals, r->vals, r->nvals * sizeof(uint32_t));
		return 0;
	}
	if (m->kind == SECCOMP_RULE_ANY || same_rule(m, r))
		return 0;
	if (m->kind != SECCOMP_RULE_IN || r->kind != SECCOMP_RULE_IN || m->arg != r->arg) {
		m->kind = SECCOMP_RULE_ANY;
		return 0;
	}
	for (unsigned int i = 0; i < r->nvals; i++) {
		bool have = false;

		for (unsigned int j = 0; j < m->nvals; j++)
			have |= m->vals[j] == r->vals[i];
		if (have)
			continue;
		if (m->nvals == SC_MAX_VALS)
			return -E2BIG;
		m->vals[m->nvals++] = r->vals[i];
	}
	return 0;
}

static int merge_list(struct sc_set *s, const struct seccomp_list *l)
{
	for (const struct seccomp_group *const *g = l->groups; *g; g++) {
		for (size_t i = 0; i < (*g)->nrules; i++) {
			int r = merge_rule(s, &(*g)->rules[i]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int cmp_nr(const void *a, const void *b)
{
	const struct sc_merged *x = a, *y = b;

	return (x->nr > y->nr) - (x->nr < y->nr);
}

struct sc_prog {
	struct sock_filter *insn;
	size_t n;
};

static void emit(struct sc_prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n < BPF_MAXINSNS)
		p->insn[p->n] = (struct sock_filter){ code, jt, jf, k };
	p->n++; /* counted past the end, so that the caller sees -E2BIG */
}

static void emit_ret(struct sc_prog *p, uint32_t action)
{
	emit(p, BPF_RET | BPF_K, 0, 0, action);
}

/*
 * One rule: "if nr matches, decide; else skip to the next rule". Every
 * path inside a rule returns, so the accumulator still holds the number for
 * the next one, and every jump stays short (8-bit offsets).
 */
static void emit_rule(struct sc_prog *p, const struct sc_merged *m, uint32_t deny)
{
	const uint8_t in_len = (uint8_t)(2 + 2 * m->nvals);

	switch (m->kind) {
	case SECCOMP_RULE_ANY:
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)m->nr);
		emit_ret(p, SECCOMP_RET_ALLOW);
		break;
	case SECCOMP_RULE_ERRNO:
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)m->nr);
		emit_ret(p, SECCOMP_RET_ERRNO | (m->vals[0] & SECCOMP_RET_DATA));
		break;
	case SECCOMP_RULE_IN:
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, in_len, (uint32_t)m->nr);
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SC_OFF_ARG(m->arg));
		for (unsigned int i = 0; i < m->nvals; i++) {
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, m->vals[i]);
			emit_ret(p, SECCOMP_RET_ALLOW);
		}
		emit_ret(p, deny);
		break;
	case SECCOMP_RULE_MASK:
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 5, (uint32_t)m->nr);
		emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SC_OFF_ARG(m->arg));
		emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, m->vals[0]);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, m->vals[1]);
		emit_ret(p, SECCOMP_RET_ALLOW);
		emit_ret(p, deny);
		break;
	}
}

int seccomp_build(enum vmm_seccomp_class cls, uint32_t deny, struct sock_filter **prog,
		  size_t *len)
{
	struct sc_set *set = calloc(1, sizeof(*set));
	struct sc_prog p = { .insn = calloc(BPF_MAXINSNS, sizeof(struct sock_filter)) };
	int r = -ENOMEM;

	if (!set || !p.insn || cls >= VMM_SECCOMP_NCLASSES)
		goto out;
	/* The base holds every class's list: whatever one thread may do, the
	 * process may. */
	r = 0;
	for (int c = 0; c < VMM_SECCOMP_NCLASSES && r == 0; c++)
		if (c == (int)cls || cls == VMM_SECCOMP_BASE)
			r = merge_list(set, &seccomp_lists[c]);
	if (r < 0)
		goto out;
	qsort(set->r, set->n, sizeof(set->r[0]), cmp_nr);

	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, SC_OFF_ARCH);
	emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SECCOMP_AUDIT_ARCH);
	emit_ret(&p, deny);
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, SC_OFF_NR);
	emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, SC_X32_BIT);
	emit_ret(&p, deny);
	for (size_t i = 0; i < set->n; i++)
		emit_rule(&p, &set->r[i], deny);
	emit_ret(&p, deny);
	if (p.n > BPF_MAXINSNS) {
		r = -E2BIG;
		goto out;
	}
	/* Kept for the threads still to start, so at its length: not the 32 KiB
	 * of BPF_MAXINSNS that the builder needed room for (six classes). */
	*prog = realloc(p.insn, p.n * sizeof(*p.insn));
	if (!*prog)
		*prog = p.insn;
	*len = p.n;
	p.insn = NULL;
out:
	free(p.insn);
	free(set);
	return r;
}
