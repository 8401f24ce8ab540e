/* SPDX-License-Identifier: Apache-2.0 */
/* JSON tokenizer (RFC 8259); the contract is in json.h. */
#include "json.h"

#include <string.h>

struct parser {
	const char *s;
	size_t len, pos;
	struct json_tok *toks;
	size_t n, max;
};

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static long add_tok(struct parser *p, enum json_type type, size_t start)
{
	if (p->n == p->max)
		return -1;
	p->toks[p->n] = (struct json_tok){ .type = type, .start = start };
	return (long)p->n++;
}

static int hex4(const char *s, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		unsigned int d = c >= '0' && c <= '9' ? (unsigned int)(c - '0')
			       : c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10)
			       : c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10)
						       : 16u;
		if (d == 16)
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* p->pos is on the opening quote. §7: escapes checked, no raw control chars. */
static int parse_string(struct parser *p, int is_key)
{
	long t = add_tok(p, JSON_STRING, ++p->pos);
	unsigned int u;

	if (t < 0)
		return -1;
	while (p->pos < p->len && p->s[p->pos] != '"') {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			p->pos++;
			continue;
		}
		if (p->pos + 1 >= p->len)
			return -1;
		c = (unsigned char)p->s[p->pos + 1];
		if (c == 'u') {
			if (p->pos + 6 > p->len || hex4(p->s + p->pos + 2, &u) < 0)
				return -1;
			p->pos += 6;
		} else if (strchr("\"\\/bfnrt", c) && c) {
			p->pos += 2;
		} else {
			return -1;
		}
	}
	if (p->pos >= p->len)
		return -1;
	p->toks[t].end = p->pos++;
	p->toks[t].is_key = is_key;
	p->toks[t].next = p->n;
	return 0;
}

static size_t digits(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos - start;
}

/* §6 numbers, and the literals true, false, null. */
static int parse_primitive(struct parser *p)
{
	static const char *const lit[] = { "true", "false", "null" };
	long t = add_tok(p, JSON_PRIMITIVE, p->pos);
	size_t n;

	if (t < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		n = strlen(lit[i]);
		if (p->len - p->pos >= n && !memcmp(p->s + p->pos, lit[i], n)) {
			p->pos += n;
			goto done;
		}
	}
	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (!digits(p))
		return -1;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return -1;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return -1;
	}
done:
	p->toks[t].end = p->pos;
	p->toks[t].next = p->n;
	return 0;
}

static int parse_value(struct parser *p, int depth);

/* An object or array; p->pos is on its opening bracket. */
static int parse_container(struct parser *p, int depth, int object)
{
	const char close = object ? '}' : ']';
	long t = add_tok(p, object ? JSON_OBJECT : JSON_ARRAY, p->pos);

	if (t < 0 || depth >= JSON_MAX_DEPTH)
		return -1;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		goto done;
	}
	for (;;) {
		if (object) {
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"' || parse_string(p, 1) < 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return -1;
			p->pos++;
		}
		if (parse_value(p, depth + 1) < 0)
			return -1;
		p->toks[t].size++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			break;
		}
		return -1;
	}
done:
	p->toks[t].end = p->pos;
	p->toks[t].next = p->n;
	return 0;
}

static int parse_value(struct parser *p, int depth)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return -1;
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, depth, 1);
	case '[':
		return parse_container(p, depth, 0);
	case '"':
		return parse_string(p, 0);
	default:
		return parse_primitive(p);
	}
}

long json_parse(const char *s, size_t len, struct json_tok *toks, size_t max)
{
	struct parser p = { .s = s, .len = len, .toks = toks, .max = max };

	if (parse_value(&p, 0) < 0)
		return -1;
	skip_ws(&p);
	return p.pos == len ? (long)p.n : -1;
}

static size_t put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The string was validated by json_parse. */
long json_string(const char *s, const struct json_tok *t, char *out)
{
	char *o = out;
	unsigned int cp, lo;

	for (size_t i = t->start; i < t->end;) {
		if (s[i] != '\\') {
			*o++ = s[i++];
			continue;
		}
		switch (s[i + 1]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': break;
		default: *o++ = s[i + 1]; break;
		}
		if (s[i + 1] != 'u') {
			i += 2;
			continue;
		}
		hex4(s + i + 2, &cp);
		i += 6;
		if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= t->end && s[i] == '\\' &&
		    s[i + 1] == 'u' && hex4(s + i + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd; /* a lone surrogate */
		}
		if (cp == 0)
			return -1;
		o += put_utf8(o, cp);
	}
	*o = '\0';
	return o - out;
}
