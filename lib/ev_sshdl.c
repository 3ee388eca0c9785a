/* ev_sshdl.c - libssh through dlopen (see ev_sshdl.h for why). */
#include "ev_sshdl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

#include "ev_log.h"

/* The soname of Debian's libssh-4 package. */
#define EV_SSHDL_SONAME "libssh.so.4"

static struct ev_sshdl table;
static bool tried, loaded;

static bool
sym(void *h, void *field, const char *name)
{
	void *p = dlsym(h, name);

	if (p == NULL) {
		ev_log_err("libssh has no %s", name);
		return false;
	}
	memcpy(field, &p, sizeof(p));
	return true;
}

const struct ev_sshdl *
ev_sshdl(void)
{
	void *h;

	if (tried)
		return loaded ? &table : NULL;
	tried = true;
	/* Kept loaded for the life of the program, like a linked library. */
	if ((h = dlopen(EV_SSHDL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		ev_log_err("cannot load %s (install libssh-4): %s", EV_SSHDL_SONAME, dlerror());
		return NULL;
	}
	if (!sym(h, &table.key_type_from_name, "ssh_key_type_from_name") ||
	    !sym(h, &table.key_type, "ssh_key_type") || !sym(h, &table.key_free, "ssh_key_free") ||
	    !sym(h, &table.pki_import_pubkey_base64, "ssh_pki_import_pubkey_base64") ||
	    !sym(h, &table.pki_import_privkey_base64, "ssh_pki_import_privkey_base64") ||
	    !sym(h, &table.pki_export_privkey_base64, "ssh_pki_export_privkey_base64") ||
	    !sym(h, &table.string_free_char, "ssh_string_free_char")) {
		dlclose(h);
		memset(&table, 0, sizeof(table));
		return NULL;
	}
	loaded = true;
	return &table;
}
