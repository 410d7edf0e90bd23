/*
 * NAME
 *	subhash.c - ezmlm-idx 7's subscriber hash, domain column, address form
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	unsigned sub_hash(const char *addr, size_t len);
 *	size_t sub_domain(const char *addr, size_t len, char out[4]);
 *	enum store_rc sub_address(const char *in, size_t len, char *out,
 *				  size_t *outlen, char *err, size_t errlen);
 * DESCRIPTION
 *	The hash must be bit for bit ezmlm-idx 7's, so that its programs
 *	and mq split the same table the same way: the original runs on
 *	an unsigned long (64 bits on the systems mq targets) and XORs in
 *	each byte converted from a signed char to unsigned int, so a byte
 *	>= 0x80 enters as 0xFFFFFF80..0xFFFFFFFF.
 * DIAGNOSTICS
 *	sub_address() returns STORE_BADDATA with the reason in err.
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

unsigned sub_hash_bytes(const void *s, size_t len)
{
	const signed char *p = s;
	uint64_t h = 5381;

	for (size_t i = 0; i < len; i++)
		h = (h + (h << 5)) ^ (uint32_t)(int32_t)p[i];
	return (unsigned)(h % 53);
}

unsigned sub_hash(const char *addr, size_t len)
{
	uint64_t h = 5381;

	for (size_t i = 0; i < len; i++)
		h = (h + (h << 5)) ^ (uint32_t)(int32_t)(signed char)
			store_ascii_lower(addr[i]);
	return (unsigned)(h % 53);
}

size_t sub_domain(const char *addr, size_t len, char out[SUB_DOMAIN_MAX + 1])
{
	const char *at = memrchr(addr, '@', len), *end = addr + len;
	const char *label = at ? at + 1 : end;
	size_t n;

	for (const char *p = label; p < end; p++)
		if (*p == '.')
			label = p + 1;
	n = (size_t)(end - label);
	if (n > SUB_DOMAIN_MAX) {
		n = SUB_DOMAIN_MAX;
		/* Back off to the start of a UTF-8 character. */
		while (n > 0 && ((unsigned char)label[n] & 0xC0) == 0x80)
			n--;
	}
	store_ascii_fold(out, label, n);
	out[n] = 0;
	return n;
}

enum store_rc sub_address(const char *in, size_t len, char *out,
			  size_t *outlen, char *err, size_t errlen)
{
	const char *at;
	size_t dom;

	if (len > SUB_ADDR_MAX) {
		snprintf(err, errlen, "address longer than %d bytes",
			 SUB_ADDR_MAX);
		return STORE_BADDATA;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] <= ' ' || in[i] == 0x7f) {
			snprintf(err, errlen, "address %.*s: control byte, "
				 "space or NUL at byte %zu", (int)i, in, i + 1);
			return STORE_BADDATA;
		}
	/* "@domain" (no local part) is ezmlm's entry for the whole domain. */
	at = memrchr(in, '@', len);
	if (!at || at == in + len - 1) {
		snprintf(err, errlen, "address %.*s: not local@domain (nor "
			 "@domain)", (int)len, in);
		return STORE_BADDATA;
	}
	dom = (size_t)(at - in) + 1;
	memcpy(out, in, dom);
	store_ascii_fold(out + dom, in + dom, len - dom);
	out[len] = 0;
	*outlen = len;
	return STORE_OK;
}
