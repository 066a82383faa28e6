/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the DHCP lease lines (values from a DHCP server) through
 * dhcp_lease_parse and dhcp6_lease_parse; what they accept must be
 * addresses inet_pton takes.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_be_addr(const char *s, int empty_ok)
{
	struct in_addr a;
	if ((empty_ok && !*s) || inet_pton(AF_INET, s, &a) == 1)
		return;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = 0;
	char *ip, *mask, *gw, *dns;
	if (dhcp_lease_parse(line, &ip, &mask, &gw, &dns)) {
		must_be_addr(ip, 0);
		must_be_addr(mask, 0);
		must_be_addr(gw, 1);
		if (strlen(dns) > 255)
			abort();
	}
	memcpy(line, data, size);
	line[size] = 0;
	char *a6, *dns6;
	if (dhcp6_lease_parse(line, &a6, &dns6)) {
		char buf[64];
		struct in6_addr a;
		const char *slash = strchr(a6, '/');
		if (!slash || (size_t)(slash - a6) >= sizeof(buf) || atoi(slash + 1) < 1 ||
		    atoi(slash + 1) > 128)
			abort();
		memcpy(buf, a6, (size_t)(slash - a6));
		buf[slash - a6] = 0;
		if (inet_pton(AF_INET6, buf, &a) != 1 || strlen(dns6) > 255)
			abort();
	}
	free(line);
	return 0;
}
