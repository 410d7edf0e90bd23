/*
 * NAME
 *	holds.js - the console's Pauses and Forced errors views
 * DESCRIPTION
 *	Over MailerQ's REST resources /v1/pauses and /v1/errors
 *	(docs/http.md): the rows in force with the time each has left,
 *	a form that adds one (for some minutes, or until resumed), and per
 *	row Resume (DELETE with the row's key fields as the body) and
 *	"Expire in" (POST of the same keys with a new expire).  An empty
 *	field is left out: the resource takes it as "any".
 */
'use strict';

const HOLDS_EVERY_MS = 5000;

/* The two resources: their key fields, value fields and view ids. */
const HOLDS = {
	pauses: { keys: ['mta', 'pool', 'domain', 'ip', 'tag'], values: [],
		form: 'pause-form', rows: 'pauses-rows', what: 'pause' },
	errors: { keys: ['mta', 'pool', 'domain', 'ip', 'tag'],
		values: ['code', 'extended', 'description'],
		form: 'error-form', rows: 'errors-rows', what: 'forced error' },
};

/* expireSecs - a row's expire ("YYYY-MM-DD HH:MM:SS" UTC) as unix seconds */
function expireSecs(expire) {
	if (expire === null || expire === undefined || expire === '')
		return null;
	const t = Date.parse(String(expire).replace(' ', 'T') + 'Z');
	return Number.isNaN(t) ? null : t / 1000;
}

/* remainingText - how long a row has left, in words */
function remainingText(expire) {
	const at = expireSecs(expire);
	if (at === null)
		return 'until resumed';
	let s = Math.round(at - Date.now() / 1000);
	if (s <= 0)
		return 'expired';
	const parts = [];
	for (const [n, unit] of [[86400, 'd'], [3600, 'h'], [60, 'min']])
		if (s >= n) {
			parts.push(Math.floor(s / n) + ' ' + unit);
			s %= n;
		}
	parts.push(s + ' s');
	return parts.slice(0, 2).join(' ');
}

/* keyBody - the key fields of a row as the resource shows them */
function keyBody(h, row) {
	const body = {};
	for (const k of h.keys)
		if (row[k] !== undefined && row[k] !== null)
			body[k] = row[k];
	return body;
}

/* expireIn - unix seconds minutes from now, or undefined for none */
function expireIn(minutes) {
	const m = String(minutes).trim();
	if (!m)
		return undefined;
	if (!/^\d+(\.\d+)?$/.test(m))
		throw new Error(`minutes: '${m}' is not a number`);
	return Math.round(Date.now() / 1000 + Number(m) * 60);
}

/* holdActions - Resume and Expire in for one row */
function holdActions(name, row) {
	const h = HOLDS[name];
	const td = el('td');
	td.append(button('Resume', 'Resuming', async () => {
		await api('DELETE', '/v1/' + name, keyBody(h, row));
		say(`The ${h.what} is removed.`, 'info');
		await loadHolds(name);
	}), ' ', button('Expire in…', 'Setting the expiry', async () => {
		const m = prompt('Expire in how many minutes?', '60');
		if (m === null)
			return;
		await api('POST', '/v1/' + name, { ...keyBody(h, row), expire: expireIn(m) ?? 0 });
		await loadHolds(name);
	}));
	return td;
}

/* loadHolds - the rows of /v1/NAME with their time left */
async function loadHolds(name) {
	const h = HOLDS[name];
	const rows = await api('GET', '/v1/' + name);
	const shown = rows.map((r) => ({ ...r, remaining: remainingText(r.expire) }));
	const cols = ['id', 'mta', 'pool', 'domain', 'ip', 'tag', ...h.values, 'expire', 'remaining'];
	grid($(h.rows), cols, shown, (row) => holdActions(name, row));
	if (!rows.length)
		$(h.rows).append(el('caption', `no ${h.what} in force`));
}

/* addHold - POST the form: the fields filled, expire from the minutes */
async function addHold(name) {
	const h = HOLDS[name];
	const form = $(h.form);
	const body = {};
	for (const input of form.querySelectorAll('input')) {
		const v = input.value.trim();
		if (input.name !== 'minutes' && v)
			body[input.name] = input.name === 'code' && /^\d+$/.test(v) ? Number(v) : v;
	}
	const expire = expireIn(form.elements.minutes.value);
	if (expire !== undefined)
		body.expire = expire;
	await api('POST', '/v1/' + name, body);
	say(`The ${h.what} is added.`, 'info');
	form.reset();
	await loadHolds(name);
}

for (const name of Object.keys(HOLDS))
	VIEWS[name] = {
		load: () => guard('Loading the ' + name, () => loadHolds(name)),
		every: HOLDS_EVERY_MS,
		wire: () => onSubmit(HOLDS[name].form, 'Adding the ' + HOLDS[name].what, () => addHold(name)),
	};
