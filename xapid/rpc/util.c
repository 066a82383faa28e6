/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers: UUIDs, refs, XML-legal UTF-8 validation, clocks (util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "value.h"

/*
 * Fills buf with n random bytes from the kernel. A UUID without entropy
 * would silently collide, so when no source works at all we abort rather
 * than return something that merely looks random.
 */
static void random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (got == n)
		return;

	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		abort();
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r > 0)
			got += (size_t)r;
		else if (!(r < 0 && errno == EINTR))
			abort();
	}
	close(fd);
}

void hx_uuid(char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];

	random_bytes(r, sizeof(r));
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	char *p = buf;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[r[i] >> 4];
		*p++ = hex[r[i] & 15];
	}
	*p = '\0';
}

char *hx_new_ref(void)
{
	char u[37];

	hx_uuid(u);
	return hx_asprintf("OpaqueRef:%s", u);
}

bool hx_is_uuid(const char *s)
{
	if (!s)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return s[36] == '\0';
}

bool hx_is_ref(const char *s)
{
	static const char pfx[] = "OpaqueRef:";

	return s && strncmp(s, pfx, sizeof(pfx) - 1) == 0 && s[sizeof(pfx) - 1] != '\0';
}

bool hx_is_null_ref(const char *s)
{
	return !s || !*s || strcmp(s, HX_NULL_REF) == 0;
}

/* XML 1.0 Char production, minus what UTF-8 decoding already excludes. */
static bool xml_char_ok(uint32_t c)
{
	if (c < 0x20)
		return c == 0x9 || c == 0xA || c == 0xD;
	if (c == 0xFFFE || c == 0xFFFF)
		return false;
	return true;
}

size_t hx_utf8_next(const char *str, size_t n, bool xml)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t need;

	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80)
		return !xml || xml_char_ok(c) ? 1 : 0;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, > U+13FFFF */
	}
	if (n <= need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		unsigned char cc = s[k];
		if ((cc & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (cc & 0x3F);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000))
		return 0; /* overlong */
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	if (xml && !xml_char_ok(cp))
		return 0;
	return need + 1;
}

bool hx_valid_xml_utf8(const char *s, size_t n)
{
	if (!s)
		return n == 0;
	for (size_t i = 0; i < n;) {
		size_t l = hx_utf8_next(s + i, n - i, true);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

char *hx_utf8_sanitize(const char *s, size_t n, bool xml, size_t *outlen)
{
	if (n > (SIZE_MAX - 1) / 3)
		hx_oom();
	char *out = hx_malloc(n * 3 + 1), *o = out;

	for (size_t i = 0; i < n;) {
		size_t l = hx_utf8_next(s + i, n - i, xml);
		if (l) {
			memcpy(o, s + i, l);
			o += l;
			i += l;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

int64_t hx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t hx_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int hx_base64_decode(const char *s, size_t n, strbuf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t ndig = 0;
	bool pad = false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad = true;
			continue;
		}
		int v = b64_val(c);
		if (v < 0 || pad)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		ndig++;
		if (bits >= 8) {
			bits -= 8;
			sb_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return ndig % 4 == 1 ? -EINVAL : 0;
}
