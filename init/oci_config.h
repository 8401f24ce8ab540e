/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI-style workload description an OCI runtime leaves in the root:
 * /.krun_config.json, or the path in the workload environment's KRUN_CONFIG.
 * Read for every workload, as upstream's init does; when the VMM gave an exec
 * (krun_set_exec: crun's krun handler does, with an empty environment) that
 * exec stays, and only the environment and working directory come from here.
 *
 * Keys as upstream libkrun's init reads them. A runtime spec (what an OCI
 * runtime such as crun writes: an object with a "process" object member)
 * gives the workload in process's own members, by their exact names, and
 * nothing outside it counts (a hook's "args" and "env" are not the workload's):
 *   "args"                   array of strings: the command
 *   "env"                    array of "NAME=value", merged as "Env" below
 *   "cwd"                    string: as "WorkingDir" below
 * process.user, rlimits, terminal and the spec's hostname are not applied,
 * as upstream: the workload runs as root in the guest.
 * Any other document (an image config, which nests them under "config", or a
 * flat one) gives them as member names of any object at any depth, matched
 * case-insensitively, the first occurrence of each in document order:
 *   "args" or "Cmd"          array of strings: the command
 *   "Entrypoint"             array of strings, put before the command
 *   "Env"                    array of "NAME=value": added to the environment
 *                            unless NAME is already set there, except HOME and
 *                            TERM, which the file overrides
 *   "WorkingDir" or "Cwd"    string: the working directory, unless the VMM
 *                            gave one (krun_set_workdir)
 * No file, or no command in it: /bin/sh, as upstream.
 * Plain C with no guest dependency (unit-tested on the host).
 */
#ifndef KRUN_INIT_OCI_CONFIG_H
#define KRUN_INIT_OCI_CONFIG_H

#include <stddef.h>

#include "config.h"

#define OCI_CONFIG_PATH "/.krun_config.json"
#define OCI_CONFIG_MAX_LEN ((size_t)4 << 20)
#define OCI_DEFAULT_EXEC "/bin/sh"
#define OCI_DEFAULT_HOSTNAME "localhost"

/*
 * Fills cfg->exec/argv unless cfg->exec is already set, extends cfg->envp
 * and, unless cfg->workdir_set, sets
 * cfg->workdir from the JSON text json[0..len) (NULL: no file); what it
 * allocates belongs to cfg (config_free), nothing points into json. On failure
 * cfg is unchanged. Returns 0, or -1 with a
 * one-line reason in err for text that is not valid JSON, keys of the wrong
 * type, or no memory.
 */
int oci_config_apply(struct config *cfg, const char *json, size_t len, char *err,
		     size_t err_len);

/* The path to read: KRUN_CONFIG from cfg->envp, else OCI_CONFIG_PATH. */
const char *oci_config_path(const struct config *cfg);

/*
 * The guest's hostname once the workload's environment is final (after
 * oci_config_apply), as upstream's init sets it for every workload: the VMM's
 * hostname record if it sent one, else HOSTNAME from cfg->envp (a runtime
 * puts the container's there), else OCI_DEFAULT_HOSTNAME.
 */
const char *oci_hostname(const struct config *cfg);

#endif
