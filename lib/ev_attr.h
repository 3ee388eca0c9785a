/* ev_attr.h - compiler attributes that put contracts into the type system. */
#ifndef EV_ATTR_H
#define EV_ATTR_H

#define EV_WARN_UNUSED       __attribute__((__warn_unused_result__))
#define EV_PRINTF(fmt, args) __attribute__((__format__(__printf__, fmt, args)))
#define EV_NORETURN          __attribute__((__noreturn__))
#define EV_UNUSED            __attribute__((__unused__))
#define EV_ARRAY_LEN(a)      (sizeof(a) / sizeof((a)[0]))

#endif
