/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Manager configuration: defaults, the ini file (rte_cfgfile), lcore lists
 * and backend argument merging (rte_kvargs).
 *
 * The file is read once at start-up, before anything is created; every
 * value is checked here with the same bounds as the command line, and an
 * unknown section or key is an error, because a silently ignored typo in a
 * daemon's configuration is worse than a refusal to start. Backend
 * arguments are kvargs strings: a [backend.NAME] section's entries become
 * that backend's default "k=v" pairs, and the VMM's VIOMMU_CREATE args
 * override them key by key (uiommu_mgr_args_merge()).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cfgfile.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>

#include "mgr_private.h"

void
uiommu_mgr_conf_init(struct uiommu_mgr_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->socket_mode = 0600;
	snprintf(conf->backend, sizeof(conf->backend), "soft");
	conf->max_vms = UIOMMU_MAX_VMS;
	conf->telemetry = true;
	conf->hello_timeout_ms = 10000;
	conf->require_sealed_mem = true;
	conf->poll.budget = UIOMMU_POLL_BUDGET_DEFAULT;
	conf->poll.vm_budget = UIOMMU_POLL_VM_BUDGET_DEFAULT;
	conf->poll.vm_slice_ns = 0;
	conf->poll.idle_sleep_us = 0;
	conf->poll.idle_after_us = 1000;
	conf->poll_all_workers = true;
}

int
uiommu_mgr_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
uiommu_mgr_conf_lcores(struct uiommu_mgr_conf *conf, const char *list)
{
	uint32_t n = 0, tmp[UIOMMU_MAX_POLL_LCORES];
	const char *p = list;

	if (list == NULL || *list == '\0')
		return -EINVAL;
	while (*p != '\0') {
		unsigned long a, b;
		char *end;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		if (a > b || b >= RTE_MAX_LCORE)
			return -EINVAL;
		for (unsigned long l = a; l <= b; l++) {
			if (n == UIOMMU_MAX_POLL_LCORES)
				return -E2BIG;
			tmp[n++] = (uint32_t)l;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		p = end;
	}
	memcpy(conf->poll.lcores, tmp, n * sizeof(tmp[0]));
	conf->poll.nb_lcores = n;
	conf->poll_all_workers = false;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0 ||
	    strcmp(s, "true") == 0 || strcmp(s, "on") == 0)
		*out = true;
	else if (strcmp(s, "0") == 0 || strcmp(s, "no") == 0 ||
		 strcmp(s, "false") == 0 || strcmp(s, "off") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
set_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -E2BIG;
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int
conf_manager_key(struct uiommu_mgr_conf *conf, const char *k, const char *v)
{
	uint32_t u;
	int rc;

	if (strcmp(k, "socket") == 0)
		return *v == '\0' ? -EINVAL :
			set_str(conf->socket_path, sizeof(conf->socket_path), v);
	if (strcmp(k, "socket_mode") == 0) {
		rc = uiommu_mgr_parse_u32(v, 0777, &u);
		if (rc == 0)
			conf->socket_mode = u;
		return rc;
	}
	if (strcmp(k, "backend") == 0)
		return *v == '\0' ? -EINVAL :
			set_str(conf->backend, sizeof(conf->backend), v);
	if (strcmp(k, "require_sealed_mem") == 0)
		return parse_bool(v, &conf->require_sealed_mem);
	if (strcmp(k, "telemetry") == 0)
		return parse_bool(v, &conf->telemetry);
	if (strcmp(k, "hello_timeout_ms") == 0) {
		rc = uiommu_mgr_parse_u32(v, UIOMMU_MGR_HELLO_TIMEOUT_MAX, &u);
		if (rc == 0 && u < UIOMMU_MGR_HELLO_TIMEOUT_MIN)
			rc = -EINVAL;
		if (rc == 0)
			conf->hello_timeout_ms = u;
		return rc;
	}
	if (strcmp(k, "max_vms") == 0) {
		rc = uiommu_mgr_parse_u32(v, UIOMMU_MAX_VMS, &u);
		if (rc == 0 && u == 0)
			rc = -EINVAL;
		if (rc == 0)
			conf->max_vms = u;
		return rc;
	}
	return -ENOENT;
}

int
uiommu_mgr_parse_vm_budget(const char *s, uint32_t *out)
{
	uint32_t u;

	if (s != NULL && strcmp(s, "none") == 0) {
		*out = UIOMMU_POLL_VM_BUDGET_NONE;
		return 0;
	}
	if (uiommu_mgr_parse_u32(s, UIOMMU_POLL_VM_BUDGET_NONE - 1, &u) != 0 ||
	    u == 0)
		return -EINVAL;
	*out = u;
	return 0;
}

static int
conf_poll_key(struct uiommu_mgr_conf *conf, const char *k, const char *v)
{
	uint32_t u;
	int rc;

	if (strcmp(k, "lcores") == 0) {
		if (strcmp(v, "all") == 0) {
			conf->poll.nb_lcores = 0;
			conf->poll_all_workers = true;
			return 0;
		}
		return uiommu_mgr_conf_lcores(conf, v);
	}
	if (strcmp(k, "budget") == 0) {
		rc = uiommu_mgr_parse_u32(v, UIOMMU_MGR_BUDGET_MAX, &u);
		if (rc == 0 && u == 0)
			rc = -EINVAL;
		if (rc == 0)
			conf->poll.budget = u;
		return rc;
	}
	if (strcmp(k, "vm_budget") == 0)
		return uiommu_mgr_parse_vm_budget(v, &conf->poll.vm_budget);
	if (strcmp(k, "vm_slice_ns") == 0)
		return uiommu_mgr_parse_u32(v, UIOMMU_POLL_VM_SLICE_NS_MAX,
					    &conf->poll.vm_slice_ns);
	if (strcmp(k, "idle_sleep_us") == 0)
		return uiommu_mgr_parse_u32(v, UIOMMU_MGR_SLEEP_US_MAX,
					    &conf->poll.idle_sleep_us);
	if (strcmp(k, "idle_after_us") == 0)
		return uiommu_mgr_parse_u32(v, UIOMMU_MGR_SLEEP_US_MAX,
					    &conf->poll.idle_after_us);
	return -ENOENT;
}

static struct uiommu_mgr_backend_args *
backend_args_slot(struct uiommu_mgr_conf *conf, const char *backend,
		  bool create)
{
	for (uint32_t i = 0; i < conf->nb_backend_args; i++)
		if (strcmp(conf->backend_args[i].backend, backend) == 0)
			return &conf->backend_args[i];
	if (!create || conf->nb_backend_args == UIOMMU_MGR_MAX_BACKEND_ARGS)
		return NULL;
	return &conf->backend_args[conf->nb_backend_args++];
}

static int
conf_backend_section(struct uiommu_mgr_conf *conf, const char *backend,
		     const struct rte_cfgfile_entry *ent, int n)
{
	struct uiommu_mgr_backend_args *ba;
	size_t len = 0;

	if (*backend == '\0' || strlen(backend) >= UIOMMU_PROTO_BACKEND_LEN)
		return -EINVAL;
	ba = backend_args_slot(conf, backend, true);
	if (ba == NULL)
		return -E2BIG;
	snprintf(ba->backend, sizeof(ba->backend), "%s", backend);
	ba->args[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w;

		if (strpbrk(ent[i].name, ",= \t") != NULL ||
		    strpbrk(ent[i].value, ",= \t") != NULL ||
		    ent[i].name[0] == '\0')
			return -EINVAL;
		w = snprintf(ba->args + len, sizeof(ba->args) - len, "%s%s=%s",
			     len != 0 ? "," : "", ent[i].name, ent[i].value);
		if (w < 0 || (size_t)w >= sizeof(ba->args) - len)
			return -E2BIG;
		len += (size_t)w;
	}
	return 0;
}

static int
conf_pin_entry(struct uiommu_mgr_conf *conf, const char *name,
	       const char *value)
{
	struct uiommu_mgr_pin *pin;
	uint32_t l;
	int rc;

	if (conf->nb_pins == UIOMMU_MGR_MAX_PINS)
		return -E2BIG;
	rc = uiommu_mgr_parse_u32(value, RTE_MAX_LCORE - 1, &l);
	if (rc != 0)
		return rc;
	pin = &conf->pins[conf->nb_pins];
	rc = set_str(pin->vm_name, sizeof(pin->vm_name), name);
	if (rc != 0)
		return rc;
	pin->lcore = l;
	conf->nb_pins++;
	return 0;
}

int
uiommu_mgr_conf_load(struct uiommu_mgr_conf *conf, const char *path,
		     char *err, size_t errlen)
{
	struct rte_cfgfile_entry *ent = NULL;
	struct rte_cfgfile *cfg;
	char **sec = NULL;
	int nsec, rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || access(path, R_OK) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "cannot read %s",
				 path != NULL ? path : "(null)");
		return -ENOENT;
	}
	cfg = rte_cfgfile_load(path, 0);
	if (cfg == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s: not a valid ini file", path);
		return -EINVAL;
	}
	nsec = rte_cfgfile_num_sections(cfg, NULL, 0);
	if (nsec < 0) {
		rc = -EINVAL;
		goto out;
	}
	sec = calloc((size_t)nsec + 1, sizeof(*sec));
	ent = calloc(UIOMMU_MGR_CONF_MAX_ENTRIES, sizeof(*ent));
	if (sec == NULL || ent == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nsec; i++) {
		sec[i] = calloc(1, CFG_NAME_LEN);
		if (sec[i] == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rte_cfgfile_sections(cfg, sec, nsec);
	for (int i = 0; i < nsec && rc == 0; i++) {
		int n = rte_cfgfile_section_num_entries(cfg, sec[i]);

		if (n < 0 || n > UIOMMU_MGR_CONF_MAX_ENTRIES) {
			rc = -E2BIG;
			if (err != NULL)
				snprintf(err, errlen, "[%s]: too many entries",
					 sec[i]);
			break;
		}
		n = rte_cfgfile_section_entries(cfg, sec[i], ent, n);
		if (strncmp(sec[i], "backend.", 8) == 0) {
			rc = conf_backend_section(conf, sec[i] + 8, ent, n);
			if (rc != 0 && err != NULL)
				snprintf(err, errlen, "[%s]: bad backend arguments",
					 sec[i]);
			continue;
		}
		if (strcmp(sec[i], "manager") != 0 &&
		    strcmp(sec[i], "poll") != 0 && strcmp(sec[i], "pin") != 0) {
			rc = -EINVAL;
			if (err != NULL)
				snprintf(err, errlen, "unknown section [%s]",
					 sec[i]);
			break;
		}
		for (int j = 0; j < n && rc == 0; j++) {
			if (strcmp(sec[i], "manager") == 0)
				rc = conf_manager_key(conf, ent[j].name,
						      ent[j].value);
			else if (strcmp(sec[i], "poll") == 0)
				rc = conf_poll_key(conf, ent[j].name,
						   ent[j].value);
			else
				rc = conf_pin_entry(conf, ent[j].name,
						    ent[j].value);
			if (rc == -ENOENT) {
				rc = -EINVAL;
				if (err != NULL)
					snprintf(err, errlen,
						 "[%s]: unknown key '%s'",
						 sec[i], ent[j].name);
			} else if (rc != 0 && err != NULL) {
				snprintf(err, errlen,
					 "[%s]: bad value '%s' for '%s'",
					 sec[i], ent[j].value, ent[j].name);
			}
		}
	}
out:
	if (sec != NULL)
		for (int i = 0; i < nsec; i++)
			free(sec[i]);
	free(sec);
	free(ent);
	rte_cfgfile_close(cfg);
	return rc;
}

/*
 * rte_kvargs_parse() accepts almost anything ("=1", "a==1", "a b=1"); a
 * backend argument string must be stricter: non-empty keys of
 * [A-Za-z0-9_.-], values of printable characters without '=' or blanks,
 * no empty pair.
 */
static bool
kv_string_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[0] != ',' && s[n - 1] != ',' &&
	       strstr(s, ",,") == NULL;
}

static bool
kv_valid(const struct rte_kvargs *kv)
{
	for (unsigned int i = 0; i < kv->count; i++) {
		const char *k = kv->pairs[i].key, *v = kv->pairs[i].value;

		if (k == NULL || *k == '\0')
			return false;
		for (; *k != '\0'; k++)
			if (!isalnum((unsigned char)*k) && *k != '_' &&
			    *k != '.' && *k != '-')
				return false;
		for (; v != NULL && *v != '\0'; v++)
			if (!isgraph((unsigned char)*v) || *v == '=')
				return false;
	}
	return true;
}

static bool
kv_has(const struct rte_kvargs *kv, const char *key)
{
	for (unsigned int i = 0; kv != NULL && i < kv->count; i++)
		if (strcmp(kv->pairs[i].key, key) == 0)
			return true;
	return false;
}

static int
kv_append(char *out, size_t outlen, size_t *len, const char *k, const char *v)
{
	int w = snprintf(out + *len, outlen - *len, "%s%s%s%s",
			 *len != 0 ? "," : "", k, v != NULL ? "=" : "",
			 v != NULL ? v : "");

	if (w < 0 || (size_t)w >= outlen - *len)
		return -E2BIG;
	*len += (size_t)w;
	return 0;
}

int
uiommu_mgr_args_merge(const struct uiommu_mgr_conf *conf, const char *backend,
		      const char *args, char *out, size_t outlen)
{
	const struct uiommu_mgr_backend_args *ba = NULL;
	struct rte_kvargs *def = NULL, *cli = NULL;
	size_t len = 0;
	int rc = 0;

	if (out == NULL || outlen == 0)
		return -EINVAL;
	out[0] = '\0';
	for (uint32_t i = 0; conf != NULL && i < conf->nb_backend_args; i++)
		if (strcmp(conf->backend_args[i].backend, backend) == 0)
			ba = &conf->backend_args[i];
	if (args != NULL && *args != '\0') {
		if (!kv_string_ok(args))
			return -EINVAL;
		cli = rte_kvargs_parse(args, NULL);
		if (cli == NULL || !kv_valid(cli)) {
			rc = -EINVAL;
			goto out;
		}
	}
	if (ba != NULL && ba->args[0] != '\0') {
		def = rte_kvargs_parse(ba->args, NULL);
		if (def == NULL || !kv_valid(def)) {
			rc = -EINVAL;
			goto out;
		}
	}
	for (unsigned int i = 0; def != NULL && i < def->count && rc == 0; i++)
		if (!kv_has(cli, def->pairs[i].key))
			rc = kv_append(out, outlen, &len, def->pairs[i].key,
				       def->pairs[i].value);
	for (unsigned int i = 0; cli != NULL && i < cli->count && rc == 0; i++)
		rc = kv_append(out, outlen, &len, cli->pairs[i].key,
			       cli->pairs[i].value);
out:
	rte_kvargs_free(def);
	rte_kvargs_free(cli);
	if (rc != 0)
		out[0] = '\0';
	return rc;
}
