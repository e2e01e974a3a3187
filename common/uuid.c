/* uuid.c - see include/soak/uuid.h. */
#include "soak/uuid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

int soak_uuid4(char buf[SOAK_UUID_LEN])
{
	uint8_t u[16];
	size_t got = 0;
	while (got < sizeof(u)) {
		ssize_t n = getrandom(u + got, sizeof(u) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);  /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
	snprintf(buf, SOAK_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
	return 0;
}
