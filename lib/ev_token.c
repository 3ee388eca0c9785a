/* ev_token.c - session-token hashes (section 4.2). */
#include "ev_token.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_mem.h"

int
ev_token_hash(const char *jwt, size_t len, unsigned inst, enum ev_token_hash_form form,
              char out[EV_TOKEN_HASH_BUF])
{
	uint8_t digest[EV_SHA256_LEN];
	char suffix[8];
	EVP_MD_CTX *ctx = NULL;
	struct ev_buf *b = NULL;
	size_t dlen = form == EV_TOKEN_HASH_SHORT ? 16 : EV_SHA256_LEN;
	int r = EV_ERR_CRYPTO;

	out[0] = '\0';
	if (inst > EV_MAX_INSTANCES)
		return EV_ERR_INST_RANGE;
	if (len > EV_MAX_JWT)
		return EV_ERR_TOO_BIG;
	snprintf(suffix, sizeof(suffix), ".%u", inst);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return EV_ERR_NOMEM;
	/* Hash the token, then ".N" when an instance is in use. */
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, jwt, len) != 1)
		goto out;
	if (inst > 0 && EVP_DigestUpdate(ctx, suffix, strlen(suffix)) != 1)
		goto out;
	if (EVP_DigestFinal_ex(ctx, digest, NULL) != 1)
		goto out;
	if ((b = ev_buf_new(EV_TOKEN_HASH_FULL_LEN)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_b64_encode(EV_B64_URL_RAW, digest, dlen, b)) != 0)
		goto out;
	memcpy(out, ev_buf_str(b), ev_buf_len(b) + 1);
	r = 0;
out:
	ev_memzero(digest, sizeof(digest));
	ev_buf_free(b);
	EVP_MD_CTX_free(ctx);
	return r;
}

void
ev_token_hash_log_prefix(const char *hash, char out[12])
{
	/* At most 8 characters, and never more than a third of the value. */
	size_t n = strnlen(hash, 24) / 3;

	if (n > 8)
		n = 8;

	memcpy(out, hash, n);
	memcpy(out + n, "...", 4);
}
