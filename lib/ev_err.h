/*
 * ev_err.h - the one error namespace of the project.
 *
 * Every fallible ev_* function returns 0 on success or a negative EV_ERR_*
 * value.  ev_strerror() turns any of them into a short, stable English
 * phrase.  Failures caused by untrusted input get their own code so that a
 * caller (and a test) can tell exactly which rule was broken.
 */
#ifndef EV_ERR_H
#define EV_ERR_H

/* X(name, value, message) */
#define EV_ERR_LIST(X)                                                                   \
	X(EV_OK, 0, "success")                                                           \
	/* resources and programming errors */                                           \
	X(EV_ERR_NOMEM, -1, "out of memory")                                             \
	X(EV_ERR_SYSTEM, -2, "system call failed (see errno)")                           \
	X(EV_ERR_INVALID_ARG, -3, "invalid argument")                                    \
	X(EV_ERR_TOO_BIG, -4, "input exceeds its size limit")                            \
	X(EV_ERR_TRUNCATED, -5, "input is truncated")                                    \
	X(EV_ERR_TRAILING, -6, "unexpected trailing bytes")                              \
	X(EV_ERR_BUF_FULL, -7, "buffer capacity exceeded")                               \
	X(EV_ERR_CRYPTO, -8, "cryptographic library failure")                            \
	X(EV_ERR_NOT_FOUND, -9, "not found")                                             \
	X(EV_ERR_IO, -10, "file input/output error")                                     \
	/* encodings */                                                                  \
	X(EV_ERR_B64_CHAR, -20, "invalid base64 character")                              \
	X(EV_ERR_B64_PADDING, -21, "invalid base64 padding")                             \
	X(EV_ERR_B64_LENGTH, -22, "invalid base64 length")                               \
	X(EV_ERR_HEX, -23, "invalid hex string")                                         \
	X(EV_ERR_NUL_BYTE, -24, "unexpected NUL byte")                                   \
	X(EV_ERR_UTF8, -25, "invalid UTF-8")                                             \
	/* JSON (Go encoding/json rules) */                                              \
	X(EV_ERR_JSON_SYNTAX, -30, "malformed JSON")                                     \
	X(EV_ERR_JSON_TYPE, -31, "JSON value has the wrong type")                        \
	X(EV_ERR_JSON_RANGE, -32, "JSON number out of range for its field")              \
	X(EV_ERR_JSON_NOT_OBJECT, -33, "JSON value is not an object")                    \
	X(EV_ERR_JSON_DEPTH, -34, "JSON nesting too deep")                               \
	/* JWT (session token) */                                                        \
	X(EV_ERR_JWT_FORMAT, -40, "token is not three dot-separated parts")              \
	X(EV_ERR_JWT_HEADER, -41, "token header is not valid JSON")                      \
	X(EV_ERR_JWT_ALG, -42, "token algorithm is not ES256")                           \
	X(EV_ERR_JWT_TYP, -43, "token type is not JWT")                                  \
	X(EV_ERR_JWT_CLAIMS, -44, "token claims are not valid")                          \
	X(EV_ERR_JWT_SIG_LEN, -45, "token signature is not 64 bytes")                    \
	X(EV_ERR_JWT_SIG, -46, "token signature does not verify")                        \
	X(EV_ERR_JWT_EXPIRED, -47, "token has expired")                                  \
	X(EV_ERR_JWT_NOT_YET_VALID, -48, "token is not valid yet")                       \
	X(EV_ERR_JWT_NO_EXP, -49, "token has no expiry")                                 \
	X(EV_ERR_JWT_NO_DEP, -50, "token has no dispatcher endpoint")                    \
	X(EV_ERR_JWT_SUB, -51, "token subject does not match the device UUID")           \
	X(EV_ERR_JWT_DEP, -52, "token dispatcher endpoint is malformed")                 \
	X(EV_ERR_JWT_NUM, -53, "token exceeds the maximum number of instances")          \
	X(EV_ERR_INST_RANGE, -54, "instance number out of range")                        \
	X(EV_ERR_INST_REQUIRED, -55, "multi-instance token needs an instance number")    \
	X(EV_ERR_INST_UNEXPECTED, -56, "single-instance token takes no instance number") \
	X(EV_ERR_JWT_AUT, -57, "token client-authentication type is unknown")            \
	/* keys and signatures */                                                        \
	X(EV_ERR_KEY_PARSE, -60, "cannot parse key or certificate")                      \
	X(EV_ERR_KEY_TYPE, -61, "unsupported key type")                                  \
	X(EV_ERR_KEY_CURVE, -62, "unsupported or mismatched elliptic curve")             \
	X(EV_ERR_SIG_LEN, -63, "signature has the wrong length")                         \
	X(EV_ERR_SIG_INVALID, -64, "signature does not verify")                          \
	X(EV_ERR_SIG_MISSING, -65, "signature is missing")                               \
	X(EV_ERR_AUTHKEY_SYNTAX, -66, "authorized_keys line is malformed")               \
	X(EV_ERR_AUTHKEY_TYPE, -67, "authorized_keys key type is unknown")               \
	X(EV_ERR_AUTHKEY_BLOB, -68, "authorized_keys key data is invalid")               \
	X(EV_ERR_AUTHKEY_MISMATCH, -69, "authorized_keys type does not match key data")  \
	X(EV_ERR_NO_TRUSTED_KEYS, -70, "no trusted keys are configured")                 \
	/* envelope */                                                                   \
	X(EV_ERR_ENV_NOT_JSON, -80, "message is not an envelope")                        \
	X(EV_ERR_ENV_HMAC, -81, "envelope HMAC does not match")                          \
	X(EV_ERR_ENV_GCM_UNSUPPORTED, -82,                                               \
	  "envelope uses EVE 0.8.8 AES-GCM encryption, which cannot interoperate")       \
	X(EV_ERR_ENV_CFB_UNSUPPORTED, -83,                                               \
	  "envelope uses legacy AES-CFB encryption (EVE <= 16.5), not supported")        \
	X(EV_ERR_ENV_HASH_LEN, -84, "envelope sha256Hash is not 32 numbers")             \
	X(EV_ERR_ENV_DECRYPT, -85, "envelope does not decrypt")                          \
	/* edge-view messages and files */                                               \
	X(EV_ERR_CFG_SYNTAX, -90, "edge-view-config line is malformed")                  \
	X(EV_ERR_CFG_NO_TOKEN, -91, "edge-view-config has no EvJWToken line")            \
	X(EV_ERR_CFG_NUMBER, -92, "edge-view-config number is invalid")                  \
	X(EV_ERR_CFG_POLICY, -93, "edge-view-config policy is not valid JSON")           \
	X(EV_ERR_CFG_DUPLICATE, -94, "edge-view-config item appears twice")              \
	X(EV_ERR_MSG_FIELD, -95, "message field has an invalid value")                   \
	X(EV_ERR_TIME_FORMAT, -96, "time is not RFC 3339")                               \
	/* messages: cmdOpt, tcpData, copyFile, EdgeviewStatus (-100..-119) */           \
	X(EV_ERR_COPYFILE_NAME, -100, "copy-file name is not a plain file name")         \
	X(EV_ERR_COPYFILE_SIZE, -101, "copy-file size or dirsize is negative")           \
	X(EV_ERR_COPYFILE_SHA256, -102, "copy-file sha256 is not 64 lowercase hex")      \
	X(EV_ERR_TIME_RANGE, -103, "time is outside the years 0000-9999 or bad offset")  \
	/* edge-view-config file (-120..-139) */                                         \
	X(EV_ERR_CFG_TOKEN, -120, "edge-view-config token is empty or malformed")        \
	X(EV_ERR_NOT_REGULAR, -121, "not a regular file")                                \
	X(EV_ERR_NOT_DIR, -122, "path exists and is not a directory")                    \
	/* crypto, keys, authorized_keys (-140..-159) */                                 \
	X(EV_ERR_KEY_PASSPHRASE, -140, "private key passphrase is missing or wrong")     \
	X(EV_ERR_KEY_UNSUPPORTED, -141, "private key format not supported; use PKCS#8")  \
	X(EV_ERR_LIBSSH, -142, "libssh cannot be loaded")                                \
	/* edgeviewd: queries, paths, commands (-160..-199) */                           \
	X(EV_ERR_QUERY_CHARS, -160, "query contains characters that are not allowed")    \
	X(EV_ERR_QUERY_UNKNOWN, -161, "unknown command")                                 \
	X(EV_ERR_QUERY_EMPTY, -162, "empty query")                                       \
	X(EV_ERR_PATH_ESCAPE, -163, "path leaves the device's file tree")                \
	X(EV_ERR_PATH_BLOCKED, -164, "directory is blocked for remote access")           \
	X(EV_ERR_PATH_KEYFILE, -165, "key files cannot be read remotely")                \
	X(EV_ERR_CMD_FAILED, -166, "command failed")                                     \
	X(EV_ERR_LOG_TIME, -180, "log time range is not valid")                          \
	X(EV_ERR_STATUS_IN_USE, -190, "status socket is served by another process")      \
	X(EV_ERR_STATUS_PEER, -191, "status report from another user")                   \
	X(EV_ERR_PUBSUB_REQUEST, -192, "pubsub request is not valid")                    \
	/* signed commands and replay protection (-220..-239) */                         \
	X(EV_ERR_REPLAY_FIELDS, -220, "malformed replay fields")                         \
	X(EV_ERR_REPLAY_DEVICE, -221, "command is for another device")                   \
	X(EV_ERR_REPLAY_TOKEN, -222, "command is for another session token")             \
	X(EV_ERR_REPLAY_STALE, -223, "command timestamp is too old")                     \
	X(EV_ERR_REPLAY_FUTURE, -224, "command timestamp is in the future")              \
	X(EV_ERR_REPLAY_DUP, -225, "command replayed")                                   \
	X(EV_ERR_REPLAY_ORDER, -226, "command sequence number out of order")             \
	X(EV_ERR_REPLAY_FULL, -227, "too many client sessions in the replay window")     \
	X(EV_ERR_REPLAY_LEGACY, -228, "command without replay protection (strict mode)") \
	X(EV_ERR_AUTH_NO_CERT, -229, "no controller signing certificate")                \
	X(EV_ERR_AUTH_KEYS_CHANGED, -230, "trusted keys changed")                        \
	/* evx1 channel -210..-219 */                                                    \
	X(EV_ERR_EVX_CIPHER, -210, "not an EVX1 envelope of the expected kind")          \
	X(EV_ERR_EVX_IV, -211, "EVX1 envelope iv is malformed")                          \
	X(EV_ERR_EVX_SEQ, -212, "EVX1 sequence number is not the next one")              \
	X(EV_ERR_EVX_HELLO, -213, "EVX1 hello message is malformed")                     \
	X(EV_ERR_EVX_ID, -214, "EVX1 session or nonce is not 22 base64url characters")   \
	X(EV_ERR_EVX_NO_CHANNEL, -215, "EVX1 data frame before the channel is set up")   \
	X(EV_ERR_EVX_FIELDS, -216, "EVX1 envelope has a Signature or nonzero data hash") \
	X(EV_ERR_EVX_EXHAUSTED, -217, "EVX1 sequence numbers are exhausted")             \
	/* ssh-agent -200..-209 */                                                       \
	X(EV_ERR_AGENT_NONE, -200, "no ssh-agent (SSH_AUTH_SOCK is not set)")            \
	X(EV_ERR_AGENT_CONNECT, -201, "cannot connect to the ssh-agent socket")          \
	X(EV_ERR_AGENT_TIMEOUT, -202, "ssh-agent did not answer in time")                \
	X(EV_ERR_AGENT_CLOSED, -203, "ssh-agent closed the connection")                  \
	X(EV_ERR_AGENT_FAILURE, -204, "ssh-agent refused the request")                   \
	X(EV_ERR_AGENT_REPLY_TYPE, -205, "ssh-agent reply has an unexpected type")       \
	X(EV_ERR_AGENT_TOO_MANY, -206, "ssh-agent lists too many identities")            \
	X(EV_ERR_AGENT_SIG_FORMAT, -207, "ssh-agent signature is malformed")             \
	X(EV_ERR_AGENT_SIG_ALG, -208, "ssh-agent used another signature algorithm")      \
	X(EV_ERR_AGENT_SIG_INVALID, -209, "ssh-agent signature does not verify")         \
	/* eve-agent identity and TPM (-320..-339) */                                    \
	X(EV_ERR_TPM_UNREACHABLE, -320, "TPM cannot be reached through its TCTI")        \
	X(EV_ERR_TPM_TCTI, -321, "TPM TCTI name or configuration is not valid")          \
	X(EV_ERR_TPM, -322, "TPM command failed")                                        \
	X(EV_ERR_TPM_AUTH, -323, "TPM refused the device key password (tpm_credential)") \
	X(EV_ERR_TPM_OWNER_AUTH, -324, "TPM owner hierarchy has a password")             \
	X(EV_ERR_TPM_NO_KEY, -325, "device key is missing from the TPM")                 \
	X(EV_ERR_TPM_KEY_KIND, -326, "TPM device key handle holds another kind of key")  \
	X(EV_ERR_TPM_SPACE, -327, "TPM has no room for another persistent key")          \
	X(EV_ERR_TPM_DISABLED, -328, "device key is in the TPM but TPM use is disabled") \
	X(EV_ERR_ID_MISMATCH, -329, "certificate does not match its private key")        \
	X(EV_ERR_ID_ONBOARD_PAIR, -330, "onboard cert and key: only one of them exists") \
	/* eve-agent reports, spool, newlogs (-350..-369) */                             \
	X(EV_ERR_SPOOL_LOCKED, -350, "report spool is in use by another process")        \
	X(EV_ERR_SPOOL_EMPTY, -351, "report spool has nothing due to send")              \
	X(EV_ERR_SPOOL_GONE, -352, "report spool entry is no longer queued")             \
	X(EV_ERR_ZLIB, -353, "zlib compression failed")                                  \
	X(EV_ERR_AUDIT_STATE, -354, "audit offset state file is malformed")              \
	X(EV_ERR_PROC_FORMAT, -355, "kernel status file has an unexpected format")       \
	X(EV_ERR_REPORT_FIELD, -356, "report input field is not valid")                  \
	/* eve-agent HTTPS client (-340..-349) */                                        \
	X(EV_ERR_HTTP_DNS, -340, "cannot resolve the host name")                         \
	X(EV_ERR_HTTP_CONNECT, -341, "cannot connect to the server or proxy")            \
	X(EV_ERR_HTTP_TLS, -342, "TLS handshake failed")                                 \
	X(EV_ERR_HTTP_CERT, -343, "server certificate does not verify")                  \
	X(EV_ERR_HTTP_CERT_NAME, -344, "server certificate is for another host name")    \
	X(EV_ERR_HTTP_TIMEOUT, -345, "HTTP request timed out")                           \
	X(EV_ERR_HTTP_PROXY, -346, "proxy refused or failed the CONNECT request")        \
	X(EV_ERR_HTTP_TRUNCATED, -347, "connection closed before the response ended")    \
	X(EV_ERR_HTTP_TOO_BIG, -348, "HTTP response exceeds its size limit")             \
	X(EV_ERR_HTTP_RESPONSE, -349, "malformed HTTP response")                         \
	/* eve-agent AuthContainer and controller certs (-300..-319) */                  \
	X(EV_ERR_AC_PARSE, -300, "not an AuthContainer (protobuf does not parse)")       \
	X(EV_ERR_AC_NO_PAYLOAD, -301, "AuthContainer has no protectedPayload")           \
	X(EV_ERR_AC_ENCRYPTED, -302, "AuthContainer is encrypted (unsupported)")         \
	X(EV_ERR_AC_HASH_SIZE, -303, "senderCertHash is not 16 or 32 bytes")             \
	X(EV_ERR_AC_ALGO, -304, "AuthContainer hash algorithm is unknown")               \
	X(EV_ERR_AC_HASH_ALGO, -305, "senderCertHash length does not match its algo")    \
	X(EV_ERR_AC_CERT_MISS, -306, "sender is not the controller signing cert")        \
	X(EV_ERR_AC_SENDER_CERT, -307, "senderCert is not base64 of a PEM certificate")  \
	X(EV_ERR_CC_PARSE, -308, "controller certificate list does not parse")           \
	X(EV_ERR_CC_TYPE, -309, "controller certificate of an unknown type")             \
	X(EV_ERR_CC_NO_SIGNING, -310, "no controller signing certificate in the list")   \
	X(EV_ERR_CC_TWO_SIGNING, -311, "more than one controller signing certificate")   \
	X(EV_ERR_CC_NO_ECDH, -312, "no controller ECDH certificate in the list")         \
	X(EV_ERR_CC_CERT, -313, "controller certificate is not a PEM X.509 cert")        \
	X(EV_ERR_CC_NO_ROOTS, -314, "root certificate file holds no certificate")        \
	X(EV_ERR_CC_UNTRUSTED, -315, "controller cert does not chain to the roots")      \
	X(EV_ERR_CC_NOT_YET_VALID, -316, "controller cert chain is not valid yet")       \
	X(EV_ERR_CC_EXPIRED, -317, "controller certificate chain has expired")           \
	X(EV_ERR_CC_EKU, -318, "controller cert chain does not allow serverAuth")        \
	X(EV_ERR_CC_CHAIN, -319, "controller certificate chain does not verify")         \
	/* eve-agent core (-370..-399) */                                                \
	X(EV_ERR_AGENT_STATUS, -370, "the controller refused the request")               \
	X(EV_ERR_AGENT_NOT_REGISTERED, -371, "the controller does not know this device") \
	X(EV_ERR_AGENT_CONFLICT, -372, "the controller already registered this device")  \
	X(EV_ERR_AGENT_UUID, -373, "the config is for another device")                   \
	X(EV_ERR_AGENT_OBSOLETE, -374, "the config is older than one already applied")   \
	X(EV_ERR_AGENT_INTEGRITY, -375, "the controller wants a new integrity token")    \
	X(EV_ERR_AGENT_NO_CONFIG, -376, "the controller has no config for this device")  \
	X(EV_ERR_AGENT_UNAVAILABLE, -377, "the controller is unavailable")               \
	X(EV_ERR_AGENT_MSG, -378, "the controller's message is not valid")               \
	/* end of list */

enum ev_err {
#define EV_ERR_ENUM_(name, value, msg) name = (value),
	EV_ERR_LIST(EV_ERR_ENUM_)
#undef EV_ERR_ENUM_
};

/* Short phrase for an EV_ERR_* code; never NULL. */
const char *ev_strerror(int r);
/* The enumerator's name ("EV_ERR_JWT_SIG"), for tests and debug logs. */
const char *ev_errname(int r);

#endif
