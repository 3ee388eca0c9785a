/*
 * tss2dl.h - tpm2-tss, loaded for the duration of one TPM operation.
 *
 * The agent touches the TPM once per signature and otherwise waits; linked
 * in, the ESAPI, marshalling and SAPI libraries keep about 0.6 MB of
 * private pages (their relocated data) in every idle agent, TPM or not
 * (docs/BENCHMARKS.md).  agent/tpm.c opens them with each TPM connection
 * and closes them with it.
 */
#ifndef AGENT_TSS2DL_H
#define AGENT_TSS2DL_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "ev_attr.h"

#define TSS2DL_FUNCS(X)                                                                        \
	X(esys, Esys_Initialize, TSS2_RC,                                                      \
	  (ESYS_CONTEXT **, TSS2_TCTI_CONTEXT *, TSS2_ABI_VERSION *))                          \
	X(esys, Esys_Finalize, void, (ESYS_CONTEXT **))                                        \
	X(esys, Esys_Free, void, (void *))                                                     \
	X(esys, Esys_Startup, TSS2_RC, (ESYS_CONTEXT *, TPM2_SU))                              \
	X(esys, Esys_GetCapability, TSS2_RC,                                                   \
	  (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, TPM2_CAP, UINT32, UINT32, TPMI_YES_NO *, \
	   TPMS_CAPABILITY_DATA **))                                                           \
	X(esys, Esys_TR_FromTPMPublic, TSS2_RC,                                                \
	  (ESYS_CONTEXT *, TPM2_HANDLE, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR *))                 \
	X(esys, Esys_TR_Close, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR *))                           \
	X(esys, Esys_TR_SetAuth, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, TPM2B_AUTH const *))       \
	X(esys, Esys_ReadPublic, TSS2_RC,                                                      \
	  (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPM2B_PUBLIC **, TPM2B_NAME **, \
	   TPM2B_NAME **))                                                                     \
	X(esys, Esys_EvictControl, TSS2_RC,                                                    \
	  (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPMI_DH_PERSISTENT,    \
	   ESYS_TR *))                                                                         \
	X(esys, Esys_CreatePrimary, TSS2_RC,                                                   \
	  (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_SENSITIVE_CREATE *, \
	   const TPM2B_PUBLIC *, const TPM2B_DATA *, const TPML_PCR_SELECTION *, ESYS_TR *,    \
	   TPM2B_PUBLIC **, TPM2B_CREATION_DATA **, TPM2B_DIGEST **, TPMT_TK_CREATION **))     \
	X(esys, Esys_FlushContext, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR))                         \
	X(esys, Esys_Sign, TSS2_RC,                                                            \
	  (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_DIGEST *,           \
	   const TPMT_SIG_SCHEME *, const TPMT_TK_HASHCHECK *, TPMT_SIGNATURE **))             \
	X(tctildr, Tss2_TctiLdr_Initialize, TSS2_RC, (const char *, TSS2_TCTI_CONTEXT **))     \
	X(tctildr, Tss2_TctiLdr_Finalize, void, (TSS2_TCTI_CONTEXT **))                        \
	X(rc, Tss2_RC_Decode, const char *, (TSS2_RC))

struct tss2dl {
	void *esys, *tctildr, *rc; /* dlopen handles */
#define TSS2DL_MEMBER_(lib, name, ret, args) ret(*name) args;
	TSS2DL_FUNCS(TSS2DL_MEMBER_)
#undef TSS2DL_MEMBER_
};

/* EV_ERR_TPM_UNREACHABLE (logged) when a library or function is missing;
 * d is then closed. */
int tss2dl_open(struct tss2dl *d) EV_WARN_UNUSED;
/* Unloads what tss2dl_open() loaded; a zeroed d is fine. */
void tss2dl_close(struct tss2dl *d);

#endif
