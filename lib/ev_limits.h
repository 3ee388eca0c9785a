/*
 * ev_limits.h - every size cap and protocol constant, named in one place.
 *
 * Anything fed by the network or by a file we did not write has a cap here;
 * the caps are generous for legitimate traffic (the reference's largest
 * messages are about 60 KiB, edgeview-protocol.md section 4.5) and small
 * enough that a hostile peer cannot exhaust memory.
 */
#ifndef EV_LIMITS_H
#define EV_LIMITS_H

/* ---- transport ---- */
/* Largest websocket message any of our programs accepts after reassembly. */
#define EV_MAX_WS_MSG (4u * 1024 * 1024)
/* Largest envelope JSON we parse: a whole websocket message. */
#define EV_MAX_ENVELOPE EV_MAX_WS_MSG
/* Largest payload carried inside an envelope (base64 grows it by 4/3). */
#define EV_MAX_PAYLOAD (EV_MAX_ENVELOPE / 4 * 3)

/* ---- tokens ---- */
#define EV_MAX_JWT              (16u * 1024) /* a whole compact JWS */
#define EV_MAX_JWT_DEP          1024u        /* the "dep" claim */
#define EV_MAX_JWT_SUB          128u         /* the "sub" claim (a UUID) */
#define EV_MAX_JWT_KEY          1024u        /* the "key" claim (HMAC key) */
#define EV_MAX_INSTANCES        5u           /* EdgeViewMultiInst upper bound */
#define EV_JWT_CLOCK_SKEW       60           /* seconds of tolerance for nbf/iat */
#define EV_TOKEN_HASH_FULL_LEN  43u          /* base64url(SHA-256), no padding */
#define EV_TOKEN_HASH_SHORT_LEN 22u          /* base64url(SHA-256[0..15]) */

/* ---- command and data messages ---- */
#define EV_MAX_CMD_JSON      (64u * 1024) /* a cmdOpt object */
#define EV_MAX_CMD_FIELD     (16u * 1024) /* one string field of cmdOpt */
#define EV_MAX_USERINFO      64u          /* -user is truncated to this (Go client) */
#define EV_MAX_VERSION_STR   32u          /* cmdOpt.version */
#define EV_MAX_TCPDATA_JSON  (EV_MAX_PAYLOAD)
#define EV_MAX_TCP_MAPPINGS  5u           /* tcp/a/b/c/d/e */
#define EV_MAX_COPYFILE_JSON (8u * 1024)  /* a copyFile header */
#define EV_MAX_FILE_NAME     255u         /* copyFile.name */
#define EV_MAX_STATUS_JSON   (64u * 1024) /* EdgeviewStatus, and /evStats bodies */
#define EV_MAX_JSON_DEPTH    32u          /* nesting accepted from peers */
/* EVX1 channel (ev_evx.h): the hello's message JSON, and the largest data
 * plaintext, so that the base64 of ciphertext || 16-byte tag plus the
 * envelope around it (under 200 bytes) stays within EV_MAX_ENVELOPE. */
#define EV_MAX_EVX_HELLO     1024u
#define EV_MAX_EVX_PLAINTEXT (EV_MAX_PAYLOAD - 256u)

/* ---- on-device files ---- */
#define EV_MAX_EVCFG_FILE    (1024u * 1024) /* /run/edgeview/edge-view-config */
#define EV_MAX_EVCFG_LINE    (64u * 1024)   /* one logical item other than certs */
#define EV_MAX_PEM_FILE      (1024u * 1024) /* signing-cert.pem, CA bundles */
#define EV_MAX_AUTHKEY_LINE  (16u * 1024)   /* one authorized_keys line */
#define EV_MAX_AUTHKEYS      64u            /* trusted SSH keys considered */
#define EV_MAX_AUTHKEYS_TEXT (1024u * 1024) /* a whole authorized_keys text */
/* EVE's ConfigItemValueMap global.json (all global items, the SSH keys among them) */
#define EV_MAX_CONFIGITEMS_FILE (4u * 1024 * 1024)
#define EV_MAX_UUID_FILE        256u /* /persist/status/uuid */
/* /config/tpm_credential (EVE writes a UUID; only 7 bytes count) */
#define EV_MAX_TPM_CRED_FILE 4096u

/* ---- crypto sizes ---- */
#define EV_SHA256_LEN    32u
#define EV_HMAC_LEN      32u
#define EV_ECDSA_MAX_SIG 132u  /* P-521: 2 * 66 */
#define EV_RSA_MAX_SIG   1024u /* 8192-bit keys */
#define EV_MAX_SIGNATURE 1024u

/* client connections remembered for replay protection (edgeview/replay.h) */
#define EV_MAX_REPLAY_SESSIONS 4096u

/* ---- ssh-agent client and the client's signing key ---- */
#define EV_MAX_AGENT_REPLY      (256u * 1024) /* one agent message (OpenSSH's own limit) */
#define EV_MAX_AGENT_REQUEST    (256u * 1024) /* one request we send */
#define EV_MAX_AGENT_IDENTITIES 64u           /* keys listed by the agent */
#define EV_AGENT_TIMEOUT_MS     10000         /* one request and its reply */
#define EV_MAX_PASSPHRASE       1024u         /* a typed key passphrase */
#define EV_MAX_CLIENT_CONFIG    (64u * 1024)  /* ~/.edgeview/config */

/* ---- eve-agent HTTPS client (agent/http.h) ---- */
/* All response header lines of one controller answer together. */
#define EV_MAX_HTTP_HEADERS (8u * 1024)
/* A Retry-After hint longer than this is clamped (a hostile or broken
 * controller must not park the agent for days). */
#define EV_MAX_RETRY_AFTER_SECS 86400u

/* ---- eve-agent AuthContainer and controller certs (lib/ev_authc.h, ev_ctrlcerts.h) ---- */
/* Largest payload sealed or opened: a whole EdgeDevConfig (device-api section 9.4). */
#define EV_MAX_AUTHC_PAYLOAD (8u * 1024 * 1024)
/* A whole AuthContainer: the payload plus hashes, signature and senderCert. */
#define EV_MAX_AUTHC (EV_MAX_AUTHC_PAYLOAD + 64u * 1024)
/* AuthContainer.senderCert: base64 of a PEM certificate chain. */
#define EV_MAX_AUTHC_SENDER_CERT (32u * 1024)
/* A ZControllerCert payload (GET /certs), and the entries in it. */
#define EV_MAX_CTRLCERTS       (256u * 1024)
#define EV_MAX_CTRLCERTS_COUNT 64u
/* HASH_ALGORITHM_SHA256_16BYTES: the first 16 bytes of SHA-256. */
#define EV_CERT_HASH_SHORT_LEN 16u

/* ---- protocol constants ---- */
#define EV_PROTO_VERSION  "0.8.8"
#define EV_KEEPALIVE_SECS 30

#endif
