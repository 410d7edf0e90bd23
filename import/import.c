/*
 * NAME
 *	import.c - the import formats and the list root of a directory
 * DESCRIPTION
 *	The registry is one NULL-terminated array, the way OpenSMTPD lists
 *	its table backends; each format lives in its own file.
 */
#include <string.h>

#include "import/import.h"

const struct import_format *const import_formats[] = {
	&import_ezmlm, NULL,
};

const struct import_format *import_find(const char *name)
{
	for (int i = 0; import_formats[i]; i++)
		if (strcmp(import_formats[i]->name, name) == 0)
			return import_formats[i];
	return NULL;
}

int import_root_from_path(const char *path, char *out, size_t outlen)
{
	char root[REG_NAME_MAX + 8];
	const char *base, *end = path + strlen(path);
	size_t n = 0;

	while (end > path && end[-1] == '/')
		end--;
	for (base = end; base > path && base[-1] != '/'; base--)
		;
	if (base == end)
		return -1;
	if (!(*base >= 'a' && *base <= 'z') && !(*base >= 'A' && *base <= 'Z'))
		n = (size_t)stpcpy(root, "list_") - (size_t)root;
	for (const char *p = base; p < end; p++) {
		char c = *p;

		if (n + 1 >= sizeof(root))
			return -1;
		c = (char)store_ascii_lower(c);
		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9'))
			c = '_';
		root[n++] = c;
	}
	root[n] = 0;
	if (!reg_root_valid(root) || n + 1 > outlen)
		return -1;
	memcpy(out, root, n + 1);
	return 0;
}
