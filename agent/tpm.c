/* tpm.c - device key operations in a TPM 2.0 (see tpm.h). */
#include "tpm.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ev_err.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "ev_sig.h"
#include "tss2dl.h"

#define ECC_P256_BYTES 32u

/* EVE's DefaultKeyParams attributes (evetpm): TPM2_ReadPublic of its key
 * must show exactly these. */
#define DEVICE_KEY_ATTRS                                                     \
	(TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA | \
	 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH)

struct agent_tpm {
	struct tss2dl dl; /* loaded for this connection only */
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

/* Which object's authorization a command checks, for the error code. */
enum auth_of {
	AUTH_KEY,
	AUTH_OWNER,
};

/* The response code without the handle, parameter or session number. */
static TSS2_RC
rc_base(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != 0)
		return rc & ~(TSS2_RC)TSS2_RC_LAYER_MASK;
	if ((rc & TPM2_RC_FMT1) != 0)
		return rc & (TPM2_RC_FMT1 | 0x3Fu);
	return rc;
}

/* A TSS or TPM response code as one of ours; every failure is logged with
 * tpm2-tss's own decoding, which names the layer and the TPM's reason. */
static int
tpm_err(const struct agent_tpm *t, TSS2_RC rc, const char *what, enum auth_of who)
{
	TSS2_RC base = rc_base(rc);
	int r;

	if ((rc & TSS2_RC_LAYER_MASK) != 0) {
		if (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION)
			r = EV_ERR_TPM_UNREACHABLE;
		else if (base == TSS2_BASE_RC_NOT_SUPPORTED || base == TSS2_BASE_RC_BAD_VALUE)
			r = EV_ERR_TPM_TCTI;
		else if (base == TSS2_BASE_RC_MEMORY)
			r = EV_ERR_NOMEM;
		else
			r = EV_ERR_TPM;
	} else if (base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH) {
		r = who == AUTH_OWNER ? EV_ERR_TPM_OWNER_AUTH : EV_ERR_TPM_AUTH;
	} else if (base == TPM2_RC_HANDLE) {
		r = EV_ERR_TPM_NO_KEY;
	} else if (base == TPM2_RC_NV_SPACE) {
		r = EV_ERR_TPM_SPACE;
	} else {
		r = EV_ERR_TPM;
	}
	ev_log_err_r(r, "TPM %s: 0x%" PRIx32 " %s", what, rc, t->dl.Tss2_RC_Decode(rc));
	return r;
}

void
agent_tpm_close(struct agent_tpm *t)
{
	if (t == NULL)
		return;
	if (t->esys != NULL)
		t->dl.Esys_Finalize(&t->esys);
	if (t->tcti != NULL)
		t->dl.Tss2_TctiLdr_Finalize(&t->tcti);
	tss2dl_close(&t->dl);
	free(t);
}

/* One harmless command: proves the TPM answers and starts it if nobody did
 * (a simulator without startup flags; the kernel starts real ones). */
static int
tpm_probe(struct agent_tpm *t)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TSS2_RC rc;
	int r;

	rc = t->dl.Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                              TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, NULL, &cap);
	if (rc_base(rc) == TPM2_RC_INITIALIZE) {
		ev_log_notice("TPM was not started; sending TPM2_Startup(CLEAR)");
		rc = t->dl.Esys_Startup(t->esys, TPM2_SU_CLEAR);
		if (rc != TSS2_RC_SUCCESS) {
			r = tpm_err(t, rc, "startup", AUTH_KEY);
			goto out;
		}
		rc = t->dl.Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
		                              TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1,
		                              NULL, &cap);
	}
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(t, rc, "get capability", AUTH_KEY);
		goto out;
	}
	r = 0;
out:
	t->dl.Esys_Free(cap);
	return r;
}

int
agent_tpm_open(const char *tcti, struct agent_tpm **out)
{
	struct agent_tpm *t = NULL;
	TSS2_RC rc;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	if (tcti == NULL || tcti[0] == '\0')
		tcti = AGENT_TPM_DEFAULT_TCTI;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return EV_ERR_NOMEM;
	if ((r = tss2dl_open(&t->dl)) != 0)
		goto out;
	if ((rc = t->dl.Tss2_TctiLdr_Initialize(tcti, &t->tcti)) != TSS2_RC_SUCCESS) {
		t->tcti = NULL;
		r = tpm_err(t, rc, "open TCTI", AUTH_KEY);
		ev_log_err("TPM TCTI was \"%s\"", tcti);
		goto out;
	}
	if ((rc = t->dl.Esys_Initialize(&t->esys, t->tcti, NULL)) != TSS2_RC_SUCCESS) {
		t->esys = NULL;
		r = tpm_err(t, rc, "initialize ESAPI", AUTH_KEY);
		goto out;
	}
	if ((r = tpm_probe(t)) != 0)
		goto out;
	*out = t;
	t = NULL;
	r = 0;
out:
	agent_tpm_close(t);
	return r;
}

/* The device key template: ECC P-256, no scheme (a key that both signs and
 * decrypts must leave it to each command), no symmetric part, no KDF. */
static void
device_key_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = DEVICE_KEY_ATTRS;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/* EVE compares only the attributes; the rest of the template is checked too
 * so that a key made for something else is never mistaken for ours. */
static bool
is_device_key(const TPMT_PUBLIC *p)
{
	return p->type == TPM2_ALG_ECC && p->nameAlg == TPM2_ALG_SHA256 &&
	       p->objectAttributes == DEVICE_KEY_ATTRS && p->authPolicy.size == 0 &&
	       p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
	       p->parameters.eccDetail.symmetric.algorithm == TPM2_ALG_NULL &&
	       p->unique.ecc.x.size <= ECC_P256_BYTES && p->unique.ecc.y.size <= ECC_P256_BYTES;
}

/* The point of a TPM ECC public area as an OpenSSL public key. */
static int
ecc_to_evp(const TPMT_PUBLIC *p, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	uint8_t point[1 + 2 * ECC_P256_BYTES] = {0x04};
	const TPM2B_ECC_PARAMETER *x = &p->unique.ecc.x, *y = &p->unique.ecc.y;

	*out = NULL;
	memcpy(point + 1 + ECC_P256_BYTES - x->size, x->buffer, x->size);
	memcpy(point + 1 + 2 * ECC_P256_BYTES - y->size, y->buffer, y->size);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
	            1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) !=
	            1) {
		OSSL_PARAM_BLD_free(bld);
		return EV_ERR_NOMEM;
	}
	/* A point off the curve would be a TPM fault. */
	return ev_pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, bld, EV_ERR_TPM, out);
}

/* Whether the persistent handle is in use.  Asked with GetCapability rather
 * than by trying to open it: ESAPI logs every failed command on stderr, and an
 * empty handle is the normal state of a new device. */
static int
handle_in_use(struct agent_tpm *t, bool *used)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	const TPML_HANDLE *h;
	TSS2_RC rc;

	*used = false;
	rc = t->dl.Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                              TPM2_CAP_HANDLES, AGENT_TPM_DEVICE_KEY_HANDLE, 1, NULL, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return tpm_err(t, rc, "list persistent handles", AUTH_KEY);
	h = &cap->data.handles;
	*used = cap->capability == TPM2_CAP_HANDLES && h->count >= 1 &&
	        h->handle[0] == AGENT_TPM_DEVICE_KEY_HANDLE;
	t->dl.Esys_Free(cap);
	return 0;
}

/* The ESAPI object for the persistent handle, and its public area (NULL if
 * not wanted).  EV_ERR_TPM_NO_KEY if the handle is empty. */
static int
load_persistent(struct agent_tpm *t, ESYS_TR *obj, TPM2B_PUBLIC **pub)
{
	bool used;
	TSS2_RC rc;
	int r;

	*obj = ESYS_TR_NONE;
	if (pub != NULL)
		*pub = NULL;
	if ((r = handle_in_use(t, &used)) != 0)
		return r;
	if (!used)
		return EV_ERR_TPM_NO_KEY; /* not logged: see handle_in_use */
	rc = t->dl.Esys_TR_FromTPMPublic(t->esys, AGENT_TPM_DEVICE_KEY_HANDLE, ESYS_TR_NONE,
	                                 ESYS_TR_NONE, ESYS_TR_NONE, obj);
	if (rc != TSS2_RC_SUCCESS) {
		*obj = ESYS_TR_NONE;
		return tpm_err(t, rc, "open persistent handle", AUTH_KEY);
	}
	if (pub == NULL)
		return 0;
	rc = t->dl.Esys_ReadPublic(t->esys, *obj, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, pub,
	                           NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		*pub = NULL;
		t->dl.Esys_TR_Close(t->esys, obj);
		return tpm_err(t, rc, "read public area", AUTH_KEY);
	}
	return 0;
}

int
agent_tpm_device_key(struct agent_tpm *t, EVP_PKEY **pub)
{
	TPM2B_PUBLIC *p = NULL;
	ESYS_TR obj = ESYS_TR_NONE;
	int r;

	if (pub != NULL)
		*pub = NULL;
	if (t == NULL || pub == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = load_persistent(t, &obj, &p)) != 0)
		goto out;
	if (!is_device_key(&p->publicArea)) {
		r = EV_ERR_TPM_KEY_KIND;
		ev_log_err_r(r, "TPM handle 0x%08x: type 0x%x, attributes 0x%08x",
		             AGENT_TPM_DEVICE_KEY_HANDLE, p->publicArea.type,
		             p->publicArea.objectAttributes);
		goto out;
	}
	r = ecc_to_evp(&p->publicArea, pub);
out:
	if (obj != ESYS_TR_NONE)
		t->dl.Esys_TR_Close(t->esys, &obj);
	t->dl.Esys_Free(p);
	return r;
}

/* Frees the persistent handle for a new key: only a key of our template
 * (see agent_tpm_create_device_key). */
static int
evict_old_key(struct agent_tpm *t)
{
	TPM2B_PUBLIC *p = NULL;
	ESYS_TR obj = ESYS_TR_NONE, none = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if ((r = load_persistent(t, &obj, &p)) != 0) {
		if (r == EV_ERR_TPM_NO_KEY)
			r = 0;
		goto out;
	}
	if (!is_device_key(&p->publicArea)) {
		r = EV_ERR_TPM_KEY_KIND;
		ev_log_err_r(r, "TPM handle 0x%08x: type 0x%x, attributes 0x%08x; not replacing it",
		             AGENT_TPM_DEVICE_KEY_HANDLE, p->publicArea.type,
		             p->publicArea.objectAttributes);
		goto out;
	}
	rc = t->dl.Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                             ESYS_TR_NONE, AGENT_TPM_DEVICE_KEY_HANDLE, &none);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(t, rc, "evict old device key", AUTH_OWNER);
		goto out;
	}
	r = 0;
out:
	if (obj != ESYS_TR_NONE)
		t->dl.Esys_TR_Close(t->esys, &obj);
	t->dl.Esys_Free(p);
	return r;
}

int
agent_tpm_create_device_key(struct agent_tpm *t, const uint8_t *auth, size_t authlen,
                            EVP_PKEY **pub)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PUBLIC *made = NULL;
	ESYS_TR prim = ESYS_TR_NONE, persisted = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if (pub != NULL)
		*pub = NULL;
	memset(&sens, 0, sizeof(sens));
	if (t == NULL || pub == NULL || (auth == NULL && authlen != 0) ||
	    authlen > AGENT_TPM_AUTH_MAX)
		return EV_ERR_INVALID_ARG;
	if ((r = evict_old_key(t)) != 0)
		goto out;
	device_key_template(&tmpl);
	if (authlen > 0)
		memcpy(sens.sensitive.userAuth.buffer, auth, authlen);
	sens.sensitive.userAuth.size = (UINT16)authlen;
	rc = t->dl.Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                              ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &prim, &made,
	                              NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		prim = ESYS_TR_NONE;
		r = tpm_err(t, rc, "create primary device key", AUTH_OWNER);
		goto out;
	}
	if (!is_device_key(&made->publicArea)) {
		r = EV_ERR_TPM;
		ev_log_err_r(r, "TPM made a key that does not match the template");
		goto out;
	}
	rc = t->dl.Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, prim, ESYS_TR_PASSWORD,
	                             ESYS_TR_NONE, ESYS_TR_NONE, AGENT_TPM_DEVICE_KEY_HANDLE,
	                             &persisted);
	if (rc != TSS2_RC_SUCCESS) {
		persisted = ESYS_TR_NONE;
		r = tpm_err(t, rc, "persist device key", AUTH_OWNER);
		goto out;
	}
	r = ecc_to_evp(&made->publicArea, pub);
out:
	if (persisted != ESYS_TR_NONE)
		t->dl.Esys_TR_Close(t->esys, &persisted);
	/* The transient copy is not needed once persisted (or on failure). */
	if (prim != ESYS_TR_NONE)
		(void)t->dl.Esys_FlushContext(t->esys, prim);
	t->dl.Esys_Free(made);
	ev_memzero(&sens, sizeof(sens));
	return r;
}

int
agent_tpm_sign(struct agent_tpm *t, const uint8_t *auth, size_t authlen, const uint8_t digest[32],
               uint8_t sig[64])
{
	TPM2B_AUTH a;
	TPM2B_DIGEST d = {.size = 32};
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA};
	TPMT_TK_HASHCHECK ticket = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};
	TPMT_SIGNATURE *s = NULL;
	const TPM2B_ECC_PARAMETER *sr, *ss;
	ESYS_TR obj = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	memset(&a, 0, sizeof(a));
	if (t == NULL || digest == NULL || sig == NULL || (auth == NULL && authlen != 0) ||
	    authlen > AGENT_TPM_AUTH_MAX)
		return EV_ERR_INVALID_ARG;
	memset(sig, 0, 64);
	memcpy(d.buffer, digest, 32);
	scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	if ((r = load_persistent(t, &obj, NULL)) != 0) {
		if (r == EV_ERR_TPM_NO_KEY)
			ev_log_err_r(r, "TPM handle 0x%08x", AGENT_TPM_DEVICE_KEY_HANDLE);
		goto out;
	}
	if (authlen > 0)
		memcpy(a.buffer, auth, authlen);
	a.size = (UINT16)authlen;
	if ((rc = t->dl.Esys_TR_SetAuth(t->esys, obj, &a)) != TSS2_RC_SUCCESS) {
		r = tpm_err(t, rc, "set key password", AUTH_KEY);
		goto out;
	}
	rc = t->dl.Esys_Sign(t->esys, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d,
	                     &scheme, &ticket, &s);
	if (rc != TSS2_RC_SUCCESS) {
		s = NULL;
		r = tpm_err(t, rc, "sign with the device key", AUTH_KEY);
		goto out;
	}
	sr = &s->signature.ecdsa.signatureR;
	ss = &s->signature.ecdsa.signatureS;
	if (s->sigAlg != TPM2_ALG_ECDSA || sr->size > ECC_P256_BYTES || ss->size > ECC_P256_BYTES) {
		r = EV_ERR_TPM;
		ev_log_err_r(r, "TPM signature has algorithm 0x%x", s->sigAlg);
		goto out;
	}
	/* Fixed width (device-api 2.3): short r or s are left-padded. */
	memcpy(sig + ECC_P256_BYTES - sr->size, sr->buffer, sr->size);
	memcpy(sig + 2 * ECC_P256_BYTES - ss->size, ss->buffer, ss->size);
	r = 0;
out:
	if (obj != ESYS_TR_NONE)
		t->dl.Esys_TR_Close(t->esys, &obj);
	t->dl.Esys_Free(s);
	ev_memzero(&a, sizeof(a));
	return r;
}

/* EVE's table of TCG vendor IDs (TPM2_PT_MANUFACTURER); others print as "". */
static const struct {
	uint32_t id;
	const char *name;
} tpm_vendors[] = {
        {0x414D4400, "AMD"},
        {0x41544D4C, "Atmel"},
        {0x4252434D, "Broadcom"},
        {0x48504500, "HPE"},
        {0x49424d00, "IBM"},
        {0x49465800, "Infineon"},
        {0x494E5443, "Intel"},
        {0x4C454E00, "Lenovo"},
        {0x4D534654, "Microsoft"},
        {0x4E534D20, "National SC"},
        {0x4E545A00, "Nationz"},
        {0x4E544300, "Nuvoton"},
        {0x51434F4D, "Qualcomm"},
        {0x534D5343, "SMSC"},
        {0x53544D20, "ST Microelectronics"},
        {0x534D534E, "Samsung"},
        {0x534E5300, "Sinosun"},
        {0x54584E00, "Texas Instruments"},
        {0x57454300, "Winbond"},
        {0x524F4343, "Fuzhou Rockchip"},
        {0x474F4F47, "Google"},
};

/* Vendor string bytes, most significant first, printable ones only. */
static size_t
put_vendor_bytes(char *p, uint32_t v)
{
	size_t n = 0;
	int shift;
	char c;

	for (shift = 24; shift >= 0; shift -= 8) {
		c = (char)((v >> shift) & 0xFFu);
		if (c >= 0x20 && c < 0x7F)
			p[n++] = c;
	}
	return n;
}

int
agent_tpm_info(struct agent_tpm *t, char *buf, size_t cap)
{
	TPMS_CAPABILITY_DATA *cap_data = NULL;
	const TPML_TAGGED_TPM_PROPERTY *props;
	uint32_t manuf = 0, v1 = 0, v2 = 0, fw1 = 0, fw2 = 0;
	const char *vendor = "";
	char model[9];
	size_t n, i;
	TSS2_RC rc;
	int r, len;

	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	if (t == NULL || buf == NULL || cap == 0)
		return EV_ERR_INVALID_ARG;
	/* TPM2_PT_MANUFACTURER .. TPM2_PT_FIRMWARE_VERSION_2 are consecutive. */
	rc = t->dl.Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                              TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER,
	                              TPM2_PT_FIRMWARE_VERSION_2 - TPM2_PT_MANUFACTURER + 1, NULL,
	                              &cap_data);
	if (rc != TSS2_RC_SUCCESS) {
		cap_data = NULL;
		r = tpm_err(t, rc, "get fixed properties", AUTH_KEY);
		goto out;
	}
	if (cap_data->capability != TPM2_CAP_TPM_PROPERTIES) {
		r = EV_ERR_TPM;
		goto out;
	}
	props = &cap_data->data.tpmProperties;
	for (i = 0; i < props->count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
		switch (props->tpmProperty[i].property) {
		case TPM2_PT_MANUFACTURER: manuf = props->tpmProperty[i].value; break;
		case TPM2_PT_VENDOR_STRING_1: v1 = props->tpmProperty[i].value; break;
		case TPM2_PT_VENDOR_STRING_2: v2 = props->tpmProperty[i].value; break;
		case TPM2_PT_FIRMWARE_VERSION_1: fw1 = props->tpmProperty[i].value; break;
		case TPM2_PT_FIRMWARE_VERSION_2: fw2 = props->tpmProperty[i].value; break;
		default: break;
		}
	}
	for (i = 0; i < EV_ARRAY_LEN(tpm_vendors); i++) {
		if (tpm_vendors[i].id == manuf)
			vendor = tpm_vendors[i].name;
	}
	n = put_vendor_bytes(model, v1);
	n += put_vendor_bytes(model + n, v2);
	model[n] = '\0';
	len = snprintf(buf, cap, "%s-%s, FW Version %u.%u.%u.%u", vendor, model,
	               (unsigned)(fw1 >> 16), (unsigned)(fw1 & 0xFFFFu), (unsigned)(fw2 >> 16),
	               (unsigned)(fw2 & 0xFFFFu));
	if (len < 0 || (size_t)len >= cap) {
		buf[0] = '\0';
		r = EV_ERR_BUF_FULL;
		goto out;
	}
	r = 0;
out:
	t->dl.Esys_Free(cap_data);
	return r;
}
