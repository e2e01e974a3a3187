/* uuid.h - random (version 4) UUIDs: stable ids for runs and comparisons that
 * stay unique when databases from many hosts are merged. */
#ifndef SOAK_UUID_H
#define SOAK_UUID_H

#define SOAK_UUID_LEN 37   /* 36 characters and the NUL */

/* Fills buf from getrandom(); 0 or -errno. */
int soak_uuid4(char buf[SOAK_UUID_LEN]);

#endif
