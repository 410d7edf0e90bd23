/*
 * NAME
 *	static_stubs.c - failing GSSAPI and LDAP calls for the static link
 * SYNOPSIS
 *	linked into build/mq only (see Makefile)
 * DESCRIPTION
 *	Debian's libpq.a is built with GSSAPI and LDAP support, but
 *	Debian ships no static libgssapi_krb5 or libldap.  These
 *	definitions satisfy the linker and fail at run time, so libpq
 *	behaves as if no Kerberos credentials and no LDAP server were
 *	there: GSS encryption falls back to off (mq asks for
 *	gssencmode=disable anyway), and an "ldap://" service lookup
 *	reports an error.
 *
 *	The real headers are not installed on a build machine, so the
 *	types are spelled here with the same sizes and calling shape:
 *	OM_uint32 is a 32-bit unsigned, handles and names are pointers,
 *	a gss_buffer_desc is {size_t length; void *value;}.
 *
 *	The dynamic builds link the real libraries and never see this
 *	file.
 */
#include <stddef.h>
#include <stdint.h>

typedef uint32_t OM_uint32;

struct stub_gss_buffer {
	size_t	length;
	void   *value;
};

struct stub_gss_oid {
	OM_uint32 length;
	void   *elements;
};

#define GSS_S_COMPLETE	0u
#define GSS_S_FAILURE	(13u << 16)	/* GSS_S_FAILURE: routine error 13 */
#define LDAP_OTHER	0x50
#define LDAP_ERROR	(-1)

static const char stub_gss_message[] = "GSSAPI is not available in the "
	"static mq binary";
static char stub_ldap_message[] = "LDAP is not available in the static "
	"mq binary";

static struct stub_gss_oid stub_hostbased_oid;
struct stub_gss_oid *GSS_C_NT_HOSTBASED_SERVICE = &stub_hostbased_oid;

/* stub_gss_fail - the answer of every GSSAPI routine: no credentials */
static OM_uint32 stub_gss_fail(OM_uint32 *minor)
{
	if (minor)
		*minor = 0;
	return GSS_S_FAILURE;
}

OM_uint32 gss_acquire_cred(OM_uint32 *minor, void *name, OM_uint32 time,
			   void *mechs, int usage, void **cred, void **amechs,
			   OM_uint32 *rtime)
{
	(void) name, (void) time, (void) mechs, (void) usage, (void) amechs;
	(void) rtime;
	if (cred)
		*cred = NULL;
	return stub_gss_fail(minor);
}

OM_uint32 gss_import_name(OM_uint32 *minor, struct stub_gss_buffer *buf,
			  void *type, void **name)
{
	(void) buf, (void) type;
	if (name)
		*name = NULL;
	return stub_gss_fail(minor);
}

OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx,
			       void *name, void *mech, OM_uint32 flags,
			       OM_uint32 time, void *bindings,
			       struct stub_gss_buffer *in, void **amech,
			       struct stub_gss_buffer *out, OM_uint32 *rflags,
			       OM_uint32 *rtime)
{
	(void) cred, (void) ctx, (void) name, (void) mech, (void) flags;
	(void) time, (void) bindings, (void) in, (void) amech, (void) rflags;
	(void) rtime;
	if (out) {
		out->length = 0;
		out->value = NULL;
	}
	return stub_gss_fail(minor);
}

OM_uint32 gss_wrap(OM_uint32 *minor, void *ctx, int conf, OM_uint32 qop,
		   struct stub_gss_buffer *in, int *conf_state,
		   struct stub_gss_buffer *out)
{
	(void) ctx, (void) conf, (void) qop, (void) in, (void) conf_state;
	if (out) {
		out->length = 0;
		out->value = NULL;
	}
	return stub_gss_fail(minor);
}

OM_uint32 gss_unwrap(OM_uint32 *minor, void *ctx, struct stub_gss_buffer *in,
		     struct stub_gss_buffer *out, int *conf_state,
		     OM_uint32 *qop)
{
	(void) ctx, (void) in, (void) conf_state, (void) qop;
	if (out) {
		out->length = 0;
		out->value = NULL;
	}
	return stub_gss_fail(minor);
}

OM_uint32 gss_wrap_size_limit(OM_uint32 *minor, void *ctx, int conf,
			      OM_uint32 qop, OM_uint32 req, OM_uint32 *max)
{
	(void) ctx, (void) conf, (void) qop, (void) req;
	if (max)
		*max = 0;
	return stub_gss_fail(minor);
}

/*
 * gss_display_status - libpq prints whatever comes back and then calls
 *	gss_release_buffer() on it; the message is static, and our
 *	gss_release_buffer() frees nothing.
 */
OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type,
			     void *mech, OM_uint32 *msg_ctx,
			     struct stub_gss_buffer *msg)
{
	(void) status, (void) type, (void) mech;
	if (msg_ctx)
		*msg_ctx = 0;
	if (msg) {
		msg->length = sizeof(stub_gss_message) - 1;
		msg->value = (void *) stub_gss_message;
	}
	if (minor)
		*minor = 0;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_release_buffer(OM_uint32 *minor, struct stub_gss_buffer *buf)
{
	if (buf) {
		buf->length = 0;
		buf->value = NULL;
	}
	if (minor)
		*minor = 0;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_release_name(OM_uint32 *minor, void **name)
{
	if (name)
		*name = NULL;
	if (minor)
		*minor = 0;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_release_cred(OM_uint32 *minor, void **cred)
{
	if (cred)
		*cred = NULL;
	if (minor)
		*minor = 0;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx,
				 struct stub_gss_buffer *out)
{
	if (ctx)
		*ctx = NULL;
	if (out) {
		out->length = 0;
		out->value = NULL;
	}
	if (minor)
		*minor = 0;
	return GSS_S_COMPLETE;
}

/* LDAP: ldap_init() fails, so libpq never gets further than that. */

void   *ldap_init(const char *host, int port)
{
	(void) host, (void) port;
	return NULL;
}

char   *ldap_err2string(int err)
{
	(void) err;
	return stub_ldap_message;
}

int	ldap_set_option(void *ld, int option, const void *value)
{
	(void) ld, (void) option, (void) value;
	return LDAP_ERROR;
}

int	ldap_simple_bind(void *ld, const char *who, const char *passwd)
{
	(void) ld, (void) who, (void) passwd;
	return LDAP_ERROR;
}

int	ldap_search_st(void *ld, const char *base, int scope,
		       const char *filter, char **attrs, int attrsonly,
		       void *timeout, void **res)
{
	(void) ld, (void) base, (void) scope, (void) filter, (void) attrs;
	(void) attrsonly, (void) timeout;
	if (res)
		*res = NULL;
	return LDAP_OTHER;
}

int	ldap_result(void *ld, int msgid, int all, void *timeout, void **res)
{
	(void) ld, (void) msgid, (void) all, (void) timeout;
	if (res)
		*res = NULL;
	return LDAP_ERROR;
}

int	ldap_count_entries(void *ld, void *res)
{
	(void) ld, (void) res;
	return LDAP_ERROR;
}

void   *ldap_first_entry(void *ld, void *res)
{
	(void) ld, (void) res;
	return NULL;
}

void  **ldap_get_values_len(void *ld, void *entry, const char *attr)
{
	(void) ld, (void) entry, (void) attr;
	return NULL;
}

void	ldap_value_free_len(void **values)
{
	(void) values;
}

int	ldap_msgfree(void *res)
{
	(void) res;
	return 0;
}

int	ldap_unbind(void *ld)
{
	(void) ld;
	return 0;
}
