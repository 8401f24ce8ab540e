/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON tokenizer (RFC 8259) for /.krun_config.json: the document
 * becomes a flat array of tokens in document order, each object or array
 * followed by its children, so a caller walks it without recursion. Strings
 * are unescaped on demand. Plain C with no guest dependency (unit-tested on
 * the host).
 */
#ifndef KRUN_INIT_JSON_H
#define KRUN_INIT_JSON_H

#include <stddef.h>

enum json_type { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_PRIMITIVE };

struct json_tok {
	enum json_type type;
	size_t start, end; /* bytes of the value; a string's without its quotes */
	size_t size;       /* object: members; array: elements */
	size_t next;       /* index of the first token after this value's subtree */
	int is_key;        /* a string that names an object member */
};

/* Most nesting accepted; deeper documents are rejected. */
#define JSON_MAX_DEPTH 64

/*
 * Tokenizes s[0..len): exactly one value, surrounded by whitespace only.
 * Returns the number of tokens (<= max), or -1 if the text is not valid JSON,
 * nests deeper than JSON_MAX_DEPTH, or needs more than max tokens.
 */
long json_parse(const char *s, size_t len, struct json_tok *toks, size_t max);

/* Decodes string token t (escapes, \uXXXX to UTF-8, surrogate pairs joined, a
 * lone surrogate to U+FFFD) into out, NUL-terminated. out needs room for
 * t->end - t->start + 1 bytes (decoding never grows the text). Returns the
 * length, or -1 if an escape decodes to NUL (the string would be cut there). */
long json_string(const char *s, const struct json_tok *t, char *out);

#endif
