/*
 * NAME
 *	app.js - mq's management console: the core, all tables, lookups, status
 * DESCRIPTION
 *	The core of a page of views over mq serve's own API
 *	(docs/console.md), and its generic views; the task views are in
 *	dash.js, tasks.js, holds.js and lists.js, which register in VIEWS
 *	and use the helpers here (all scripts load deferred, in order;
 *	the page starts once all are in):
 *	every request goes to the server that served the page, with the
 *	token the user entered (kept in sessionStorage, sent as
 *	Authorization: Bearer).  An API error is shown as the server's
 *	{"error": "..."} text.  Data from the server only ever reaches the
 *	page as textContent, never as HTML.
 */
'use strict';

const TOKEN_KEY = 'mq-www-token';
const MAX_SHOWN_ROWS = 1000;	/* a table's rows drawn at most */
const MAX_CELL = 120;		/* characters of a value shown in a cell */
const HEALTH_EVERY_MS = 10000;
const STATUS_EVERY_MS = 5000;

/* The lookups and their query parameters (GET /v1/lookup/KIND). */
const LOOKUPS = {
	capacity: { params: ['localip', 'domain'], about: 'limits, column by column (cascade)' },
	flood: { params: ['text'], about: 'first flood_responses row matching' },
	dkim: { params: ['from'], about: 'DKIM keys signing mail from FROM' },
	local: { params: ['rcpt'], about: 'first locals row matching RCPT' },
	delegate: { params: ['localip', 'domain'], about: 'the delegates row that applies' },
	paused: { params: ['localip', 'domain', 'ip', 'tag'], about: 'the paused row that applies' },
	error: { params: ['localip', 'domain', 'ip', 'tag'], about: 'the errors row that applies' },
	suppressed: { params: ['rcpt'], about: 'the suppressions row for the recipient' },
	pool: { params: ['name'], about: 'the local IPs of a pool' },
	mtaname: { params: ['localip'], about: 'the mtanames row' },
	dns: { params: ['domain'], about: 'dns rows by priority' },
	response: { params: ['text', 'localip', 'domain'], about: 'response actions in order' },
	response_pattern: { params: ['text', 'localip', 'domain'], about: 'the response patterns that apply' },
	rewrite: { params: [], free: true, about: 'rewrite actions for these message properties' },
};

const state = {
	tables: [],		/* GET /v1/tables */
	table: null,		/* the table shown */
	editing: null,		/* the row in the form, null: a new row */
	loaded: {},		/* view name: loaded once */
	viewTimer: 0,		/* the shown view's refresh */
};

/* $ - the element with that id */
const $ = (id) => document.getElementById(id);

/* el - a new element with optional text and class */
function el(tag, text, cls) {
	const e = document.createElement(tag);
	if (text !== undefined && text !== null)
		e.textContent = String(text);
	if (cls)
		e.className = cls;
	return e;
}

/* button - a small button that runs fn, reporting its failure */
function button(text, what, fn) {
	const b = el('button', text);
	b.type = 'button';
	b.addEventListener('click', () => guard(what, fn));
	return b;
}

/* ApiError - a failed request: HTTP status and the server's text */
class ApiError extends Error {
	constructor(status, text) {
		super(text);
		this.status = status;
	}
}

/* token - the token entered for this browser tab, or '' */
function token() {
	return sessionStorage.getItem(TOKEN_KEY) || '';
}

/* request - one call to this server: { status, ok, data } */
async function request(method, path, body) {
	const headers = { Accept: 'application/json' };
	if (token())
		headers.Authorization = 'Bearer ' + token();
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const res = await fetch(path, {
		method, headers, cache: 'no-store', credentials: 'omit',
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	let data = text;
	if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
		try {
			data = JSON.parse(text);
		} catch (e) {
			throw new ApiError(res.status, 'the answer is not JSON: ' + e.message);
		}
	}
	return { status: res.status, ok: res.ok, data };
}

/* api - request, throwing ApiError with the {"error"} text on failure */
async function api(method, path, body) {
	const r = await request(method, path, body);
	if (!r.ok) {
		const text = r.data && typeof r.data === 'object' && r.data.error
			? r.data.error : String(r.data || '').trim();
		throw new ApiError(r.status, text || 'no reason given');
	}
	return r.data;
}

/* say - show a message in the bar under the header */
function say(text, kind) {
	const m = $('message');
	m.textContent = text;
	m.className = kind;
	m.hidden = false;
}

/* guard - run an action; its failure lands in the message bar */
async function guard(what, fn) {
	try {
		await fn();
	} catch (e) {
		const status = e instanceof ApiError ? ' (HTTP ' + e.status + ')' : '';
		say(what + ' failed' + status + ': ' + e.message, 'error');
	}
}

/* shorten - a value as cell text, cut at MAX_CELL characters */
function shorten(v) {
	const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
	return s.length > MAX_CELL ? s.slice(0, MAX_CELL) + '…' : s;
}

/* cell - a table cell for one JSON value; NULL shows as such */
function cell(v) {
	if (v === null)
		return el('td', 'NULL', 'null');
	if (v === undefined) {	/* not in the answer: a secret column */
		const td = el('td', '—', 'null');
		td.title = 'not shown without the token';
		return td;
	}
	const td = el('td', shorten(v));
	if (td.textContent.endsWith('…'))
		td.title = 'longer: edit the row to see all of it';
	return td;
}

/* grid - fill table t with rows under columns; extra(row) adds cells */
function grid(t, columns, rows, extra) {
	t.replaceChildren();
	const head = el('tr');
	for (const c of columns)
		head.append(el('th', c));
	if (extra)
		head.append(el('th'));
	t.append(head);
	for (const row of rows) {
		const tr = el('tr');
		for (const c of columns)
			tr.append(cell(row[c]));
		if (extra)
			tr.append(extra(row, tr));
		t.append(tr);
	}
}

/* keysOf - every key of an array of objects, in order of appearance */
function keysOf(rows) {
	const keys = [];
	for (const r of rows)
		for (const k of Object.keys(r))
			if (!keys.includes(k))
				keys.push(k);
	return keys;
}

/* render - a DOM node for any JSON answer */
function render(v) {
	if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
		const t = el('table', null, 'grid');
		grid(t, keysOf(v), v);
		return t;
	}
	if (v && typeof v === 'object' && !Array.isArray(v)) {
		const t = el('table', null, 'grid kv');
		for (const [k, x] of Object.entries(v)) {
			const tr = el('tr');
			tr.append(el('th', k));
			tr.append(x && typeof x === 'object' ? wrapCell(render(x)) : cell(x));
			t.append(tr);
		}
		return t;
	}
	if (Array.isArray(v) && !v.length)
		return el('p', 'none', 'note');
	return el('pre', typeof v === 'string' ? v : JSON.stringify(v, null, 2));
}

/* wrapCell - a table cell holding node */
function wrapCell(node) {
	const td = el('td');
	td.append(node);
	return td;
}

/* ---- tables ---- */

/* isKey - is column c part of the table's primary key? */
function isKey(c) {
	return Boolean(c.key);
}

/* loadTables - the table list; keeps the current choice */
async function loadTables() {
	state.tables = await api('GET', '/v1/tables');
	const sel = $('table-select');
	const keep = sel.value;
	sel.replaceChildren();
	for (const t of state.tables) {
		const o = el('option', t.name);
		o.value = t.name;
		sel.append(o);
	}
	if (state.tables.some((t) => t.name === keep))
		sel.value = keep;
	await selectTable();
}

/*
 * selectTable - show the chosen table: its form and its rows.  A list's
 *	table may hold millions of rows, all in one answer: those wait for
 *	Show rows, so a click in the menu never pulls them by surprise.
 */
async function selectTable() {
	state.table = state.tables.find((t) => t.name === $('table-select').value) || null;
	$('table-about').textContent = state.table ? state.table.about || '' : '';
	buildRowForm();
	if (state.table && state.table.family === 'list' && !$('table-filter').value.trim()) {
		$('table-rows').replaceChildren();
		$('table-count').textContent = "a list's table can be large: filter, then Show rows";
		return;
	}
	await loadRows();
}

/* tablePath - the API path of the shown table, query optional */
function tablePath(query) {
	const p = '/v1/tables/' + encodeURIComponent(state.table.name);
	return query ? p + '?' + query : p;
}

/* loadRows - GET the rows matching the filter and draw them */
async function loadRows() {
	if (!state.table)
		return;
	const q = new URLSearchParams($('table-filter').value.trim()).toString();
	const rows = await api('GET', tablePath(q));
	const shown = rows.slice(0, MAX_SHOWN_ROWS);
	$('table-count').textContent = rows.length > shown.length
		? `${shown.length} of ${rows.length} rows shown: filter to see the others`
		: rows.length === 1 ? '1 row' : `${rows.length} rows`;
	grid($('table-rows'), state.table.columns.map((c) => c.name), shown, rowActions);
}

/* rowActions - the Edit and Delete buttons of one row */
function rowActions(row, tr) {
	const td = el('td');
	td.append(button('Edit', 'Edit', () => editRow(row, tr)));
	td.append(' ');
	td.append(button('Delete', 'Delete', () => deleteRow(row)));
	return td;
}

/* rowSelector - query parameters that pick exactly this row */
function rowSelector(row) {
	const cols = state.table.columns;
	const keys = cols.filter(isKey);
	const by = keys.length ? keys : cols.filter((c) => row[c.name] !== null && row[c.name] !== undefined);
	const q = new URLSearchParams();
	for (const c of by)
		q.append(c.name, String(row[c.name] ?? ''));
	return q.toString();
}

/* deleteRow - DELETE the row by its key, after asking */
async function deleteRow(row) {
	const sel = rowSelector(row);
	if (!confirm(`Delete the row ${decodeURIComponent(sel)} from ${state.table.name}?`))
		return;
	const r = await api('DELETE', tablePath(sel));
	say(`${state.table.name}: ${r && r.deleted !== undefined ? r.deleted : '?'} row(s) deleted`, 'info');
	await loadRows();
}

/* buildRowForm - one field per column of the shown table */
function buildRowForm() {
	const box = $('row-fields');
	box.replaceChildren();
	$('row-title').textContent = 'Add a row';
	state.editing = null;
	if (!state.table)
		return;
	for (const c of state.table.columns) {
		const long = c.type === 'text' && c.max > 255;
		const label = el('label', c.name + ' ' + describeColumn(c));
		const input = el(long ? 'textarea' : 'input');
		input.name = c.name;
		input.dataset.type = c.type;
		input.placeholder = placeholder(c);
		if (long) {
			input.rows = 2;
			label.className = 'wide';
		}
		label.append(input);
		box.append(label);
	}
}

/* placeholder - what an empty field stands for */
function placeholder(c) {
	if (c.auto)
		return 'allocated';
	if (c.default !== undefined && c.default !== null)
		return String(c.default);
	return c.type === 'time' ? 'NULL (YYYY-MM-DD HH:MM:SS)' : 'NULL';
}

/* describeColumn - type and key flags, as a field's hint */
function describeColumn(c) {
	const bits = [c.type];
	if (c.auto)
		bits.push('auto');
	else if (isKey(c))
		bits.push('key');
	return '(' + bits.join(', ') + ')';
}

/* editRow - put a row's values into the form for changing it */
function editRow(row, tr) {
	for (const p of document.querySelectorAll('#table-rows tr.picked'))
		p.classList.remove('picked');
	tr.classList.add('picked');
	for (const input of $('row-fields').querySelectorAll('input, textarea')) {
		const v = row[input.name];
		input.value = v === null || v === undefined ? '' : String(v);
	}
	state.editing = row;
	$('row-title').textContent = 'Change the row';
	$('row-fields').querySelector('input, textarea').focus();
}

/* fieldValue - a field's text as JSON: \N is NULL, an int's digits a number */
function fieldValue(v, type) {
	if (v === '\\N')
		return null;
	if (v === '')
		return type === 'text' ? '' : null;
	const n = Number(v);
	return type === 'int' && /^-?\d+$/.test(v.trim()) && Number.isSafeInteger(n) ? n : v;
}

/*
 * formRow - the form as a JSON object.  A new row leaves empty fields
 *	out (their defaults apply); a changed row sends its key and the
 *	fields that differ from the row as read (POST changes only those).
 */
function formRow() {
	const row = {};
	const old = state.editing;
	for (const c of state.table.columns) {
		const v = $('row-fields').querySelector(`[name="${c.name}"]`).value;
		const was = old ? old[c.name] : undefined;
		if (!old && v === '')
			continue;
		if (old && !isKey(c) && (was === null || was === undefined ? v === '' : String(was) === v))
			continue;
		row[c.name] = fieldValue(v, c.type);
	}
	return row;
}

/* saveRow - POST the form; the server answers the stored row */
async function saveRow() {
	const stored = await api('POST', tablePath(), formRow());
	say(`${state.table.name}: stored ${shorten(stored)}`, 'info');
	clearRowForm();
	await loadRows();
}

/* clearRowForm - back to adding a new row */
function clearRowForm() {
	$('row-form').reset();
	state.editing = null;
	$('row-title').textContent = 'Add a row';
	for (const p of document.querySelectorAll('#table-rows tr.picked'))
		p.classList.remove('picked');
}

/* ---- lookups ---- */

/* buildLookupKinds - the kind menu */
function buildLookupKinds() {
	const sel = $('lookup-kind');
	for (const k of Object.keys(LOOKUPS)) {
		const o = el('option', k);
		o.value = k;
		sel.append(o);
	}
	buildLookupFields();
}

/* buildLookupFields - one field per parameter of the chosen kind */
function buildLookupFields() {
	const kind = LOOKUPS[$('lookup-kind').value];
	const box = $('lookup-fields');
	box.replaceChildren();
	$('lookup-about').textContent = kind.about;
	for (const p of kind.params) {
		const label = el('label', p);
		const input = el('input');
		input.name = p;
		label.append(input);
		box.append(label);
	}
	if (kind.free) {
		const label = el('label', 'properties (name=value&…)', 'wide');
		const input = el('input');
		input.name = '';
		label.append(input);
		box.append(label);
	}
}

/* lookupQuery - the query string of the lookup form */
function lookupQuery() {
	const q = new URLSearchParams();
	for (const input of $('lookup-fields').querySelectorAll('input')) {
		if (input.name)
			q.append(input.name, input.value);
		else
			for (const [k, v] of new URLSearchParams(input.value.trim()))
				q.append(k, v);
	}
	return q.toString();
}

/* runLookup - ask the lookup; no rows ([]) is "nothing applies" */
async function runLookup() {
	const path = '/v1/lookup/' + encodeURIComponent($('lookup-kind').value) + '?' + lookupQuery();
	$('lookup-url').textContent = 'GET ' + path;
	const out = $('lookup-result');
	out.replaceChildren(el('p', 'asking…', 'note'));
	let d;
	try {
		d = await api('GET', path);
	} finally {
		out.replaceChildren();
	}
	const none = Array.isArray(d) && !d.length;
	out.append(none ? el('p', 'Nothing applies.', 'note')
		: d && d.levels ? renderCapacity(d) : render(d));
}

/* renderCapacity - the capacity answer as mq lookup prints it */
function renderCapacity(d) {
	const rows = Object.keys(d.levels).map((k) => ({
		limit: k, value: d[k], level: d.levels[k].level, id: d.levels[k].id,
	}));
	const t = el('table', null, 'grid kv');
	grid(t, ['limit', 'value', 'level', 'id'], rows);
	return t;
}

/* ---- status ---- */

/* showHealth - the header badge */
function showHealth(text, ok) {
	$('health').textContent = 'health: ' + text;
	$('health').className = 'badge ' + (ok ? 'ok' : 'bad');
}

/* refreshHealth - GET /health (503 has a body too) for the badge; null: no answer */
async function refreshHealth() {
	try {
		const r = await request('GET', '/health');
		showHealth(r.data && r.data.status ? r.data.status : 'HTTP ' + r.status, r.ok);
		return r;
	} catch (e) {
		showHealth('no answer', false);
		return null;
	}
}

/* loadSummary - one sentence on the loads from SQL in a /health answer */
function loadSummary(h) {
	if (!h || typeof h !== 'object')
		return el('p', 'no health answer', 'note');
	if (!h.sql)
		return el('p', 'No database-address is configured: the store is the only copy, nothing is loaded from SQL.');
	if (!h.last_load_time)
		return el('p', 'No load from SQL has finished yet.');
	const when = new Date(h.last_load_time * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
	return el('p', `The last load from SQL ${h.last_load_ok ? 'succeeded' : 'FAILED'} at ${when}` +
		(h.last_load_seconds !== undefined ? ` in ${h.last_load_seconds} s` : '') +
		(h.loads !== undefined ? `; ${h.loads} loads, ${h.load_failures} failed.` : '.'),
		h.last_load_ok ? '' : 'failed');
}

/* loadStatus - health as a table and the filtered metrics */
async function loadStatus() {
	const h = await refreshHealth();
	$('status-health').replaceChildren(...(h ? [loadSummary(h.data), render(h.data)]
		: [el('p', 'the server does not answer', 'note')]));
	const metrics = await api('GET', '/metrics');
	let re;
	try {
		re = new RegExp($('metrics-filter').value || '.');
	} catch (e) {
		throw new Error('the metrics filter: ' + e.message);
	}
	$('status-metrics').textContent = String(metrics).split('\n')
		.filter((l) => l && !l.startsWith('#') && re.test(l)).join('\n');
}

/* ---- views and start ---- */

/*
 * VIEWS - name: { load, every }: load() fills the view when first shown
 *	(and at each showing when every is set, then each every ms while
 *	it is shown).  The task scripts add theirs.
 */
const VIEWS = {
	tables: { load: () => guard('Loading the tables', loadTables) },
	lookup: { load: () => {} },
	status: { load: () => guard('Loading the status', loadStatus), every: STATUS_EVERY_MS },
};
const FIRST_VIEW = 'dashboard';

/* showView - show one view; load it the first time */
function showView() {
	let name = location.hash.slice(1);
	if (!(name in VIEWS))
		name = FIRST_VIEW in VIEWS ? FIRST_VIEW : 'tables';
	const v = VIEWS[name];
	for (const s of document.querySelectorAll('.view'))
		s.hidden = s.id !== 'view-' + name;
	for (const a of document.querySelectorAll('nav a'))
		a.classList.toggle('current', a.dataset.view === name);
	clearInterval(state.viewTimer);
	if (v.every)
		state.viewTimer = setInterval(v.load, v.every);
	if (!state.loaded[name] || v.every) {
		state.loaded[name] = true;
		v.load();
	}
}

/*
 * takeTokenFromLink - a link ending in #token=TOKEN (as `./build.sh run`
 * prints it) sets this tab's token; the fragment, which browsers never
 * send to the server, is then removed from the address bar and history.
 */
function takeTokenFromLink() {
	const m = /^#token=([^&]+)$/.exec(location.hash);
	if (!m)
		return;
	sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
	history.replaceState(null, '', location.pathname + location.search);
	say('Token set for this tab from the link.', 'info');
}

/* showTokenState - say whether writes will carry a token */
function showTokenState() {
	$('token-state').textContent = token() ? 'token set' : 'no token: read only';
}

/* onSubmit - a form's submit runs fn instead of navigating */
function onSubmit(id, what, fn) {
	$(id).addEventListener('submit', (ev) => {
		ev.preventDefault();
		guard(what, fn);
	});
}

/* wire - connect the page's controls */
function wire() {
	onSubmit('token-form', 'Token', () => {
		const t = $('token').value.trim();
		if (t)
			sessionStorage.setItem(TOKEN_KEY, t);
		$('token').value = '';
		showTokenState();
		say(t ? 'Token set for this tab.' : 'Enter a token first.', t ? 'info' : 'error');
	});
	$('token-forget').addEventListener('click', () => {
		sessionStorage.removeItem(TOKEN_KEY);
		showTokenState();
		say('Token forgotten.', 'info');
	});
	$('message').addEventListener('click', () => { $('message').hidden = true; });
	$('table-select').addEventListener('change', () => guard('Loading the table', selectTable));
	$('table-load').addEventListener('click', () => guard('Loading the rows', loadRows));
	$('table-filter').addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter')
			guard('Loading the rows', loadRows);
	});
	onSubmit('row-form', 'Saving the row', saveRow);
	$('row-clear').addEventListener('click', clearRowForm);
	$('lookup-kind').addEventListener('change', buildLookupFields);
	onSubmit('lookup-form', 'The lookup', runLookup);
	$('status-load').addEventListener('click', VIEWS.status.load);
	window.addEventListener('hashchange', showView);
}

/* start - once every script is in (they run deferred, before this event) */
function start() {
	wire();
	for (const v of Object.values(VIEWS))
		if (v.wire)
			v.wire();
	buildLookupKinds();
	takeTokenFromLink();
	showTokenState();
	showView();
	refreshHealth();
	setInterval(refreshHealth, HEALTH_EVERY_MS);
}

document.addEventListener('DOMContentLoaded', start);
