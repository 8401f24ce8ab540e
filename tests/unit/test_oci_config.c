/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest init's JSON tokenizer (init/json.c) and its reading of
 * /.krun_config.json (init/oci_config.c), compiled into this test. Texts are
 * copied into buffers of their exact size, so ASan catches a read past the end.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "init/json.h"
#include "init/oci_config.h"

struct run {
	struct config cfg;
	char err[256];
	int r;
};

/* Applies text (NULL: no file) to a config that had env and maybe a workdir. */
static void apply(struct run *o, const char *text, const char *const *env, const char *workdir)
{
	size_t n = 0, len = text ? strlen(text) : 0;
	char *copy = text ? malloc(len ? len : 1) : NULL;

	while (env && env[n])
		n++;
	memset(o, 0, sizeof(*o));
	o->cfg.envp = calloc(n + 1, sizeof(*o->cfg.envp));
	o->cfg.argv = calloc(2, sizeof(*o->cfg.argv));
	CHECK(o->cfg.envp && o->cfg.argv);
	if (n)
		memcpy(o->cfg.envp, env, n * sizeof(*env));
	o->cfg.envc = n;
	o->cfg.workdir = workdir ? workdir : "/";
	o->cfg.workdir_set = workdir != NULL;
	if (copy)
		memcpy(copy, text, len);
	o->r = oci_config_apply(&o->cfg, copy, len, o->err, sizeof(o->err));
	CHECK(o->r == 0 || o->err[0]);
	free(copy); /* the config must not point into it */
}

static void done(struct run *o)
{
	config_free(&o->cfg);
}

static const char *env_of(const struct run *o, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < o->cfg.envc; i++)
		if (!strncmp(o->cfg.envp[i], name, n) && o->cfg.envp[i][n] == '=')
			return o->cfg.envp[i] + n + 1;
	return NULL;
}

static long parse_len(const char *text)
{
	struct json_tok t[64];
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	long r;

	CHECK(copy != NULL);
	memcpy(copy, text, len);
	r = json_parse(copy, len, t, 64);
	free(copy);
	return r;
}

TEST(json_accepts_valid_documents)
{
	CHECK_EQ(parse_len("{}"), 1);
	CHECK_EQ(parse_len(" [1, -2.5e+3, true, false, null, \"x\"] "), 7);
	CHECK_EQ(parse_len("{\"a\":{\"b\":[{}]}}"), 6); /* keys are tokens */
	CHECK_EQ(parse_len("\"\\u00e9\\ud83d\\ude00\\n\""), 1);
	CHECK_EQ(parse_len("0"), 1);
}

TEST(json_rejects_invalid_documents)
{
	static const char *const bad[] = {
		"", "{", "}", "[1,]", "{\"a\"}", "{\"a\":}", "{a:1}", "[01]", "[1.]", "[.5]",
		"[1e]", "\"\\x\"", "\"\\u12\"", "\"abc", "\"a\nb\"", "tru", "[1] x", "{} {}",
		"[\"a\" \"b\"]", "{\"a\":1,}", "-", "nul",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_len(bad[i]) != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_EQ(parse_len(bad[i]), -1);
	}
}

TEST(json_rejects_nesting_past_the_limit_and_token_overflow)
{
	char deep[2 * JSON_MAX_DEPTH + 3];
	struct json_tok t[4];

	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	CHECK_EQ(parse_len(deep), -1);
	CHECK_EQ(json_parse("[1,2,3,4]", 9, t, 4), -1);
}

TEST(json_string_decodes_escapes_and_refuses_nul)
{
	const char *s = "\"a\\\"b\\\\c\\/\\t\\u00e9\\ud83d\\ude00\\ud800x\"";
	struct json_tok t[2];
	char v[64];

	CHECK_EQ(json_parse(s, strlen(s), t, 2), 1);
	CHECK_EQ(json_string(s, &t[0], v), 17);
	CHECK_STR_EQ(v, "a\"b\\c/\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx");
	s = "\"a\\u0000b\"";
	CHECK_EQ(json_parse(s, strlen(s), t, 2), 1);
	CHECK_EQ(json_string(s, &t[0], v), -1);
}

TEST(oci_image_config_gives_entrypoint_cmd_env_and_workdir)
{
	static const char *const env[] = { "PATH=/host", "HOME=/root", "KEEP=1", NULL };
	struct run o;

	apply(&o,
	      "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"PATH=/img\",\"HOME=/home/u\","
	      "\"NEW=x=y\",\"noequals\"],\"Entrypoint\":[\"/bin/ep\",\"-v\"],"
	      "\"Cmd\":[\"run\",\"a b\"],\"WorkingDir\":\"/srv\"}}",
	      env, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_EQ(o.cfg.argc, 4);
	CHECK_STR_EQ(o.cfg.exec, "/bin/ep");
	CHECK_STR_EQ(o.cfg.argv[1], "-v");
	CHECK_STR_EQ(o.cfg.argv[2], "run");
	CHECK_STR_EQ(o.cfg.argv[3], "a b");
	CHECK(o.cfg.argv[4] == NULL);
	CHECK_STR_EQ(env_of(&o, "PATH"), "/host"); /* already set: kept */
	CHECK_STR_EQ(env_of(&o, "HOME"), "/home/u"); /* HOME: the file wins */
	CHECK_STR_EQ(env_of(&o, "KEEP"), "1");
	CHECK_STR_EQ(env_of(&o, "NEW"), "x=y");
	CHECK(env_of(&o, "noequals") == NULL);
	CHECK_EQ(o.cfg.envc, 4);
	CHECK(o.cfg.envp[4] == NULL);
	CHECK_STR_EQ(o.cfg.workdir, "/srv");
	done(&o);
}

TEST(oci_runtime_spec_gives_process_args_env_and_cwd)
{
	struct run o;

	apply(&o, "{\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/tmp\",\"env\":[\"TERM=xterm\"]}}",
	      NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_EQ(o.cfg.argc, 1);
	CHECK_STR_EQ(o.cfg.exec, "/bin/true");
	CHECK_STR_EQ(o.cfg.workdir, "/tmp");
	CHECK_STR_EQ(env_of(&o, "TERM"), "xterm");
	done(&o);
}

/* crun leaves the whole runtime spec: a hook's args and env, or an annotation,
 * may come before "process" and must not be taken for the workload's. */
TEST(oci_runtime_spec_takes_the_workload_from_process_only)
{
	struct run o;

	apply(&o,
	      "{\"ociVersion\":\"1.0.2\",\"hooks\":{\"prestart\":[{\"path\":\"/h\","
	      "\"args\":[\"/hook\",\"x\"],\"env\":[\"H=1\"]}]},\"annotations\":{\"Cmd\":[\"no\"]},"
	      "\"process\":{\"user\":{\"uid\":1},\"args\":[\"/bin/real\",\"a\"],"
	      "\"env\":[\"A=1\"],\"cwd\":\"/w\"},\"mounts\":[{\"args\":[\"m\"]}]}",
	      NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_EQ(o.cfg.argc, 2);
	CHECK_STR_EQ(o.cfg.exec, "/bin/real");
	CHECK_STR_EQ(o.cfg.argv[1], "a");
	CHECK_STR_EQ(env_of(&o, "A"), "1");
	CHECK(env_of(&o, "H") == NULL);
	CHECK_EQ(o.cfg.envc, 1);
	CHECK_STR_EQ(o.cfg.workdir, "/w");
	done(&o);
}

/* crun's krun handler gives the exec (krun_set_exec, with an empty
 * environment) and the workdir (krun_set_workdir): the runtime spec still adds
 * its env, as upstream's init reads it for every workload; args and cwd stay
 * the VMM's. */
TEST(oci_runtime_spec_with_the_vmms_exec_adds_env_only)
{
	static const char *const argv[] = { "/bin/vmm-exec", "x", NULL };
	static const char *const env[] = { "PATH=/sbin:/bin", NULL };
	struct run o;

	memset(&o, 0, sizeof(o));
	o.cfg.envp = calloc(2, sizeof(*o.cfg.envp));
	o.cfg.argv = calloc(3, sizeof(*o.cfg.argv));
	CHECK(o.cfg.envp && o.cfg.argv);
	memcpy(o.cfg.envp, env, sizeof(env));
	memcpy(o.cfg.argv, argv, sizeof(argv));
	o.cfg.envc = 1;
	o.cfg.argc = 2;
	o.cfg.exec = argv[0];
	o.cfg.workdir = "/vmm";
	o.cfg.workdir_set = 1;
	const char *text = "{\"process\":{\"args\":[\"/bin/spec\"],\"cwd\":\"/spec\","
			   "\"env\":[\"PATH=/spec\",\"A=b c\",\"HOME=/root\"]}}";
	o.r = oci_config_apply(&o.cfg, text, strlen(text), o.err, sizeof(o.err));
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, "/bin/vmm-exec");
	CHECK_EQ(o.cfg.argc, 2);
	CHECK_STR_EQ(o.cfg.argv[1], "x");
	CHECK_STR_EQ(o.cfg.workdir, "/vmm");
	CHECK_STR_EQ(env_of(&o, "A"), "b c");
	CHECK_STR_EQ(env_of(&o, "HOME"), "/root");
	CHECK_STR_EQ(env_of(&o, "PATH"), "/sbin:/bin"); /* already set: kept */
	done(&o);
}

/* With a process object, nothing elsewhere counts, and its members are the
 * runtime spec's exact names (upstream decodes it as a struct). */
TEST(oci_runtime_spec_without_args_runs_bin_sh_and_names_are_exact)
{
	struct run o;

	apply(&o, "{\"config\":{\"Cmd\":[\"/img\"],\"WorkingDir\":\"/img\"},"
		  "\"process\":{\"Args\":[\"/x\"],\"CWD\":\"/x\",\"env\":[\"B=2\"]}}",
	      NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, OCI_DEFAULT_EXEC);
	CHECK_EQ(o.cfg.argc, 1);
	CHECK_STR_EQ(o.cfg.workdir, "/");
	CHECK_STR_EQ(env_of(&o, "B"), "2");
	done(&o);
	/* "process" that is not an object: not a runtime spec. */
	apply(&o, "{\"process\":null,\"Cmd\":[\"/img\"]}", NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, "/img");
	done(&o);
	/* A nested "process" object is not the runtime spec's either. */
	apply(&o, "{\"x\":{\"process\":{\"args\":[\"/nested\"]}},\"Cmd\":[\"/top\"]}",
	      NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, "/nested"); /* image-config rules: first "args" */
	done(&o);
}

/* Upstream's init: HOSTNAME from the workload's environment, else localhost;
 * a hostname the VMM sent comes first. */
TEST(oci_hostname_comes_from_the_environment_else_localhost)
{
	static const char *const env[] = { "HOSTNAMEX=no", "HOSTNAME=box", NULL };
	static const char *const empty[] = { "HOSTNAME=", NULL };
	struct config cfg = { .envp = (const char **)env, .envc = 2 };
	struct run o;

	CHECK_STR_EQ(oci_hostname(&cfg), "box");
	cfg.hostname = "vmm";
	CHECK_STR_EQ(oci_hostname(&cfg), "vmm");
	cfg.hostname = NULL;
	cfg.envp = (const char **)empty;
	cfg.envc = 1;
	CHECK_STR_EQ(oci_hostname(&cfg), OCI_DEFAULT_HOSTNAME);
	cfg.envp = NULL;
	cfg.envc = 0;
	CHECK_STR_EQ(oci_hostname(&cfg), "localhost");
	/* The runtime spec's env is where a runtime puts the container's name. */
	apply(&o, "{\"process\":{\"env\":[\"HOSTNAME=ctr1\"]},\"hostname\":\"other\"}", NULL,
	      NULL);
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(oci_hostname(&o.cfg), "ctr1");
	done(&o);
}

TEST(oci_first_occurrence_of_the_right_type_wins_and_vmm_workdir_stays)
{
	struct run o;

	/* "Cmd": null is skipped (Docker writes it), then the first array is used;
	 * a string value "Cmd" is not a key. */
	apply(&o, "[\"Cmd\",[\"no\"],{\"Cmd\":null,\"x\":{\"CMD\":[\"first\"]},\"Cmd\":[\"second\"],"
		  "\"WorkingDir\":\"/json\"}]",
	      NULL, "/from-vmm");
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, "first");
	CHECK_EQ(o.cfg.argc, 1);
	CHECK_STR_EQ(o.cfg.workdir, "/from-vmm");
	done(&o);
}

TEST(oci_without_file_or_command_runs_bin_sh)
{
	struct run o;

	apply(&o, NULL, NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, OCI_DEFAULT_EXEC);
	CHECK_EQ(o.cfg.argc, 1);
	CHECK_STR_EQ(o.cfg.workdir, "/");
	done(&o);
	apply(&o, "{\"Env\":[\"A=1\"]}", NULL, NULL);
	CHECK_EQ(o.r, 0);
	CHECK_STR_EQ(o.cfg.exec, OCI_DEFAULT_EXEC);
	CHECK_STR_EQ(env_of(&o, "A"), "1");
	done(&o);
}

TEST(oci_rejects_bad_json_and_non_string_elements)
{
	struct run o;

	static const char *const bad[] = {
		"{\"Cmd\":[\"a\"", "{\"Cmd\":[\"a\",1]}", "{\"Env\":[{}]}",
		"{\"Cmd\":[\"a\\u0000b\"]}", "{\"Cwd\":\"/a\\u0000\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		apply(&o, bad[i], NULL, NULL);
		CHECK_EQ(o.r, -1);
		CHECK(o.cfg.exec == NULL); /* unchanged */
		done(&o);
	}
}

TEST(oci_config_path_comes_from_krun_config_in_the_environment)
{
	static const char *const env[] = { "KRUN_CONFIGX=/no", "KRUN_CONFIG=/etc/k.json", NULL };
	static const char *const empty[] = { "KRUN_CONFIG=", NULL };
	struct config cfg = { .envp = (const char **)env, .envc = 2 };

	CHECK_STR_EQ(oci_config_path(&cfg), "/etc/k.json");
	cfg.envp = (const char **)empty;
	cfg.envc = 1;
	CHECK_STR_EQ(oci_config_path(&cfg), OCI_CONFIG_PATH);
	cfg.envp = NULL;
	cfg.envc = 0;
	CHECK_STR_EQ(oci_config_path(&cfg), OCI_CONFIG_PATH);
}
