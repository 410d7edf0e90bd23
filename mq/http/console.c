/*
 * NAME
 *	http_console.c - the management console: / and its assets
 * SYNOPSIS
 *	GET /		mq/http/console/index.html
 *	GET /app.js	mq/http/console/app.js (and dash.js, tasks.js,
 *			holds.js, lists.js: the task views)
 *	GET /style.css	mq/http/console/style.css
 * DESCRIPTION
 *	The console is a static page that talks to the API with fetch();
 *	its files are embedded in the binary by the assembler
 *	(.incbin, paths relative to the repository root, where make runs),
 *	so a served mq needs no files and fetches nothing from elsewhere.
 *	See docs/console.md.
 *
 *	Every answer carries a Content-Security-Policy that allows only
 *	this server's own script, style and API (the page has no inline
 *	script or style), and refuses framing.  Any other path that the
 *	router hands here (everything outside /v1/, /health, /metrics)
 *	is a 404.
 * DIAGNOSTICS
 *	404 "PATH: no such page", 405 for a method other than GET or HEAD.
 */
#include <string.h>

#include "mq/http/http.h"

/*
 * EMBED - define NAME_start and NAME_end around the bytes of FILE in
 *	.rodata.  Hidden: the symbols never leave the binary's own link.
 */
#define EMBED(name, file) __asm__(					\
	".pushsection .rodata\n"					\
	".global " #name "_start\n"					\
	".hidden " #name "_start\n"					\
	".global " #name "_end\n"					\
	".hidden " #name "_end\n"					\
	#name "_start:\n"						\
	".incbin \"" file "\"\n"					\
	#name "_end:\n"							\
	".popsection\n")

EMBED(console_index, "mq/http/console/index.html");
EMBED(console_app, "mq/http/console/app.js");
EMBED(console_style, "mq/http/console/style.css");
EMBED(console_dash, "mq/http/console/dash.js");
EMBED(console_tasks, "mq/http/console/tasks.js");
EMBED(console_holds, "mq/http/console/holds.js");
EMBED(console_lists, "mq/http/console/lists.js");

#define HIDDEN __attribute__((visibility("hidden")))
extern HIDDEN const char console_index_start[], console_index_end[];
extern HIDDEN const char console_app_start[], console_app_end[];
extern HIDDEN const char console_style_start[], console_style_end[];
extern HIDDEN const char console_dash_start[], console_dash_end[];
extern HIDDEN const char console_tasks_start[], console_tasks_end[];
extern HIDDEN const char console_holds_start[], console_holds_end[];
extern HIDDEN const char console_lists_start[], console_lists_end[];

/* One embedded file and the path it answers. */
struct asset {
	const char *path;
	const char *type;
	const char *start, *end;
};

static const struct asset assets[] = {
	{ "/", "text/html; charset=utf-8",
	  console_index_start, console_index_end },
	{ "/index.html", "text/html; charset=utf-8",
	  console_index_start, console_index_end },
	{ "/app.js", "text/javascript; charset=utf-8",
	  console_app_start, console_app_end },
	{ "/style.css", "text/css; charset=utf-8",
	  console_style_start, console_style_end },
	{ "/dash.js", "text/javascript; charset=utf-8",
	  console_dash_start, console_dash_end },
	{ "/tasks.js", "text/javascript; charset=utf-8",
	  console_tasks_start, console_tasks_end },
	{ "/holds.js", "text/javascript; charset=utf-8",
	  console_holds_start, console_holds_end },
	{ "/lists.js", "text/javascript; charset=utf-8",
	  console_lists_start, console_lists_end },
};

/* The page's script and style come from here; fetch() only to here. */
#define CONSOLE_CSP "default-src 'none'; script-src 'self'; "		\
	"style-src 'self'; connect-src 'self'; img-src 'self' data:; "	\
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* find_asset - the embedded file served at path, or NULL */
static const struct asset *find_asset(const char *path)
{
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (!strcmp(assets[i].path, path))
			return &assets[i];
	return NULL;
}

/* security_headers - what a browser must enforce on the console */
static void security_headers(struct http_req *r)
{
	http_add_header(r, "Content-Security-Policy", CONSOLE_CSP);
	http_add_header(r, "X-Frame-Options", "DENY");
	http_add_header(r, "Referrer-Policy", "no-referrer");
}

/* http_console_handle - GET of the page or an asset; 404 for the rest */
void	http_console_handle(struct http_req *r)
{
	const struct asset *a;

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_method_not_allowed(r, "GET, HEAD");
		return;
	}
	a = find_asset(r->path);
	if (!a) {
		http_reply_error(r, 404, "%s: no such page", r->path);
		return;
	}
	security_headers(r);
	http_reply_text(r, 200, a->type, a->start, (size_t)(a->end - a->start));
}
