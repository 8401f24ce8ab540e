/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest init's JSON tokenizer (init/json.c) and its reading of
 * /.krun_config.json (init/oci_config.c).
 *
 * Input: one flags byte, then the document. The flags choose the config the
 * document is applied to (an environment already set, a workdir from the VMM)
 * and a token budget for a second, bounded json_parse. The text is copied into
 * a buffer of its exact size, so ASan sees any read past its end.
 *
 * Checked besides memory safety: tokens lie inside the text and nest properly,
 * every string token decodes to at most its own length, a parse that fits a
 * smaller budget gives the same tokens, and an applied config is a well-formed
 * argv/envp (NULL-terminated, counts right, strings that outlive the text).
 */
#include "fuzz.h"

#include "init/json.h"
#include "init/oci_config.h"

#define MAX_TOKS 4096

static struct json_tok toks[MAX_TOKS], toks2[MAX_TOKS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_setup();
	return 0;
}

/* Every token inside the text, children inside their parent, sizes right. */
FZ_NOCOV static void check_tokens(const char *s, size_t len, const struct json_tok *t, long nt)
{
	for (long i = 0; i < nt; i++) {
		size_t children = 0;

		FZ_CHECK(t[i].start <= t[i].end && t[i].end <= len);
		FZ_CHECK(t[i].next > (size_t)i && t[i].next <= (size_t)nt);
		if (t[i].type == JSON_OBJECT || t[i].type == JSON_ARRAY) {
			for (size_t k = (size_t)i + 1; k < t[i].next; k = t[k].next) {
				FZ_CHECK(t[k].start >= t[i].start && t[k].end <= t[i].end);
				if (t[i].type == JSON_OBJECT) {
					FZ_CHECK(t[k].is_key && t[k].type == JSON_STRING);
					k++; /* the member's value */
					FZ_CHECK(k < t[i].next);
				}
				children++;
			}
			FZ_CHECK(children == t[i].size);
		} else if (t[i].type == JSON_STRING) {
			/* Decoding never grows the text: an exact-size buffer. */
			size_t room = t[i].end - t[i].start + 1;
			char *out = malloc(room);
			long n;

			FZ_CHECK(out);
			FZ_CHECK(t[i].start > 0 && s[t[i].start - 1] == '"' && s[t[i].end] == '"');
			n = json_string(s, &t[i], out);
			FZ_CHECK(n < 0 || ((size_t)n < room && strlen(out) == (size_t)n));
			free(out);
		}
	}
}

FZ_NOCOV static void check_config(const struct config *cfg)
{
	FZ_CHECK(cfg->argv && cfg->argc >= 1 && cfg->argv[cfg->argc] == NULL);
	FZ_CHECK(cfg->exec == cfg->argv[0]);
	for (size_t i = 0; i < cfg->argc; i++)
		FZ_CHECK(cfg->argv[i] != NULL && strlen(cfg->argv[i]) < OCI_CONFIG_MAX_LEN);
	FZ_CHECK(cfg->envp && cfg->envp[cfg->envc] == NULL);
	for (size_t i = 0; i < cfg->envc; i++)
		FZ_CHECK(cfg->envp[i] != NULL && strchr(cfg->envp[i], '='));
	FZ_CHECK(cfg->workdir != NULL);
	(void)strlen(cfg->workdir);
	(void)strlen(oci_hostname(cfg));
	(void)strlen(oci_config_path(cfg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env_sets[][4] = {
		{ NULL },
		{ "HOME=/root", "TERM=xterm", NULL },
		{ "PATH=/bin", "HOSTNAME=vm", "KRUN_CONFIG=/x.json", NULL },
		{ "A=1", "A=2", "=", NULL },
	};
	struct config cfg = { 0 };
	uint8_t flags;
	size_t len, n = 0, budget;
	char *text, err[256] = "";
	long nt, nt2;
	int r;

	if (size == 0)
		return 0;
	flags = data[0];
	len = size - 1;
	text = malloc(len ? len : 1);
	FZ_CHECK(text);
	memcpy(text, data + 1, len);

	nt = json_parse(text, len, toks, MAX_TOKS);
	FZ_CHECK(nt < MAX_TOKS + 1);
	if (nt >= 0) {
		check_tokens(text, len, toks, nt);
		/* A budget too small must fail; one large enough gives the same. */
		budget = (size_t)nt - (flags >> 6 & 1);
		nt2 = json_parse(text, len, toks2, budget);
		FZ_CHECK(budget < (size_t)nt ? nt2 < 0 : nt2 == nt);
		if (nt2 == nt)
			FZ_CHECK(!memcmp(toks, toks2, (size_t)nt * sizeof(*toks)));
	}

	/* The config the VMM's records left, then the document applied to it. */
	const char *const *env = env_sets[flags & 3];
	while (env[n])
		n++;
	cfg.envp = calloc(n + 1, sizeof(*cfg.envp));
	cfg.argv = calloc(2, sizeof(*cfg.argv));
	FZ_CHECK(cfg.envp && cfg.argv);
	memcpy(cfg.envp, env, n * sizeof(*env));
	cfg.envc = n;
	cfg.workdir_set = flags >> 2 & 1;
	cfg.workdir = cfg.workdir_set ? "/vmm" : "/";
	cfg.hostname = flags >> 3 & 1 ? "vmm-host" : NULL;
	r = oci_config_apply(&cfg, flags >> 7 ? NULL : text, len, err, sizeof(err));
	FZ_CHECK(r == 0 || (r == -1 && err[0]));
	/* Nothing may point into the text: poison it before looking. */
	memset(text, 0xa5, len);
	free(text);
	if (r == 0)
		check_config(&cfg);
	config_free(&cfg);
	return 0;
}
