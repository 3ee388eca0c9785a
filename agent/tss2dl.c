/* tss2dl.c - tpm2-tss, loaded with each TPM connection (see tss2dl.h). */
#include "tss2dl.h"

#include <dlfcn.h>
#include <string.h>

#include "ev_err.h"
#include "ev_log.h"

/* The run-time sonames of Debian's libtss2-* packages (tpm2-tss 3.x). */
#define SO_ESYS    "libtss2-esys.so.0"
#define SO_TCTILDR "libtss2-tctildr.so.0"
#define SO_RC      "libtss2-rc.so.0"

int
tss2dl_open(struct tss2dl *d)
{
	void *sym;

	memset(d, 0, sizeof(*d));
	if ((d->esys = dlopen(SO_ESYS, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (d->tctildr = dlopen(SO_TCTILDR, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (d->rc = dlopen(SO_RC, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		ev_log_err("tpm2-tss is not usable: %s", dlerror());
		goto fail;
	}
	/* dlsym gives void *; the member's type says what it really is. */
#define TSS2DL_LOAD_(lib, name, ret, args)                             \
	if ((sym = dlsym(d->lib, #name)) == NULL) {                    \
		ev_log_err("tpm2-tss lacks %s: %s", #name, dlerror()); \
		goto fail;                                             \
	}                                                              \
	memcpy(&d->name, &sym, sizeof(sym));
	TSS2DL_FUNCS(TSS2DL_LOAD_)
#undef TSS2DL_LOAD_
	return 0;
fail:
	tss2dl_close(d);
	return EV_ERR_TPM_UNREACHABLE;
}

void
tss2dl_close(struct tss2dl *d)
{
	if (d->esys != NULL)
		dlclose(d->esys);
	if (d->tctildr != NULL)
		dlclose(d->tctildr);
	if (d->rc != NULL)
		dlclose(d->rc);
	memset(d, 0, sizeof(*d));
}
