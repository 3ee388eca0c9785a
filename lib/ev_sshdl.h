/*
 * ev_sshdl.h - libssh, loaded the first time an SSH key is parsed.
 *
 * Only SSH-key work needs libssh (authorized_keys lines, OpenSSH private
 * keys), yet linking it maps libssh and the Kerberos libraries it depends
 * on into every program, about 0.3 MB of resident memory in each idle
 * device process.  The few functions we call are looked up on first use.
 */
#ifndef EV_SSHDL_H
#define EV_SSHDL_H

#include <libssh/libssh.h>

struct ev_sshdl {
	enum ssh_keytypes_e (*key_type_from_name)(const char *name);
	enum ssh_keytypes_e (*key_type)(const ssh_key key);
	void (*key_free)(ssh_key key);
	int (*pki_import_pubkey_base64)(const char *b64_key, enum ssh_keytypes_e type,
	                                ssh_key *pkey);
	int (*pki_import_privkey_base64)(const char *b64_key, const char *passphrase,
	                                 ssh_auth_callback auth_fn, void *auth_data, ssh_key *pkey);
	int (*pki_export_privkey_base64)(const ssh_key privkey, const char *passphrase,
	                                 ssh_auth_callback auth_fn, void *auth_data,
	                                 char **b64_key);
	void (*string_free_char)(char *s);
};

/* The loaded functions, or NULL (logged once) when libssh is unavailable. */
const struct ev_sshdl *ev_sshdl(void);

#endif
