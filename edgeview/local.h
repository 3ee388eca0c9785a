/* local.h - `edgeviewd local`: run a query on this host without a session. */
#ifndef EV_DEVICE_LOCAL_H
#define EV_DEVICE_LOCAL_H

int local_main(int argc, char **argv);

#endif
