/* ev_err.c - strings for the EV_ERR_* namespace. */
#include "ev_err.h"

const char *
ev_strerror(int r)
{
	switch (r) {
#define EV_ERR_STR_(name, value, msg) \
	case (value): return (msg);
		EV_ERR_LIST(EV_ERR_STR_)
#undef EV_ERR_STR_
	}
	return "unknown error";
}

const char *
ev_errname(int r)
{
	switch (r) {
#define EV_ERR_NAME_(name, value, msg) \
	case (value): return #name;
		EV_ERR_LIST(EV_ERR_NAME_)
#undef EV_ERR_NAME_
	}
	return "EV_ERR_UNKNOWN";
}
