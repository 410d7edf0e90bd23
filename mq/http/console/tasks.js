/*
 * NAME
 *	tasks.js - the console's Throttles, DKIM and Patterns views
 * DESCRIPTION
 *	Throttles: the capacity rows and rules, and the cascade explorer,
 *	which asks /v1/lookup/capacity and names, for each limit, the row
 *	or rule its "levels" say gave it (docs/lookups.md).  DKIM: the
 *	keys of /v1/dkim with their last DNS check and the TXT record to
 *	publish, with a Copy button.  Patterns: the flood and response
 *	patterns and a tester that asks the flood and response lookups
 *	with a pasted server response: the flood row and the response
 *	patterns that matched (marked in their tables) and the response
 *	actions that apply, in order.
 *	Data reaches the page as text only (el, grid: textContent).
 */
'use strict';

/* The cascade's levels (store/lookup_capacity.c) in words. */
const LEVEL_WORDS = {
	'localip+domain': 'capacity row of this local IP and domain',
	domain: 'capacity row of this domain, any local IP',
	'rule+localip': 'capacity rule of this local IP',
	rule: 'capacity rule, any local IP',
	localip: 'capacity row of this local IP, any domain',
	any: 'capacity row of any local IP and domain (the configured default)',
	default: 'built-in default: unlimited',
};

/* The DKIM statuses a console user must act on (docs/dkim.md). */
const DKIM_GOOD = ['verified', 'kept', 'not-verified'];

/* tableRows - every row of a MailerQ table */
function tableRows(name) {
	return api('GET', '/v1/tables/' + encodeURIComponent(name));
}

/* columnsOf - the column names of the table's rows, id first */
function columnsOf(rows, fallback) {
	return rows.length ? keysOf(rows) : fallback;
}

/* mark - flag the rows of table t whose first cell is one of ids */
function mark(t, ids) {
	for (const tr of t.rows)
		tr.classList.toggle('picked', ids.includes(tr.cells[0].textContent));
}

/* ---- throttles ---- */

const throttles = { capacity: [], rules: [] };

/* loadThrottles - the capacity rows and rules */
async function loadThrottles() {
	[throttles.capacity, throttles.rules] = await Promise.all([
		tableRows('capacity'), tableRows('capacity_rules')]);
	grid($('capacity-rows'), columnsOf(throttles.capacity, ['id']), throttles.capacity);
	grid($('rules-rows'), columnsOf(throttles.rules, ['id']), throttles.rules);
}

/* sourceText - the row or rule that gave a limit, in words */
function sourceText(level, id) {
	if (level === 'default')
		return LEVEL_WORDS.default;
	const words = LEVEL_WORDS[level] || level;
	if (!level.startsWith('rule')) {
		const row = throttles.capacity.find((r) => r.id === id);
		return `${words}: capacity id ${id}` + (row ? ` (localip '${row.localip}', domain '${row.domain}')` : '');
	}
	const rule = throttles.rules.find((r) => r.id === id);
	return `${words}: capacity_rules id ${id}` + (rule ? ` (${rule.type} '${rule.domain}'` +
		` → capacity id ${rule.capacity})` : '');
}

/* explain - the cascade of one local IP and domain, limit by limit */
async function explain() {
	const q = new URLSearchParams({ localip: $('cascade-localip').value.trim(),
		domain: $('cascade-domain').value.trim() });
	const [d] = await Promise.all([api('GET', '/v1/lookup/capacity?' + q), loadThrottles()]);
	const t = el('table', null, 'grid');
	t.append(el('tr'));
	for (const h of ['limit', 'value', 'given by'])
		t.rows[0].append(el('th', h));
	for (const [limit, src] of Object.entries(d.levels)) {
		const tr = el('tr');
		tr.dataset.limit = limit;
		tr.dataset.level = src.level;
		tr.dataset.id = String(src.id);
		tr.append(el('td', limit), el('td', d[limit]), el('td', sourceText(src.level, src.id)));
		t.append(tr);
	}
	$('cascade-result').replaceChildren(t);
	mark($('capacity-rows'), Object.values(d.levels).filter((s) => !s.level.startsWith('rule'))
		.map((s) => String(s.id)));
	mark($('rules-rows'), Object.values(d.levels).filter((s) => s.level.startsWith('rule'))
		.map((s) => String(s.id)));
}

/* ---- DKIM ---- */

/* copyButton - copies text to the clipboard, else selects it in node */
function copyButton(text, node) {
	return button('Copy', 'Copying the record', async () => {
		try {
			await navigator.clipboard.writeText(text);
			say('The record is copied.', 'info');
		} catch (e) {
			getSelection().selectAllChildren(node);
			say('Copy is not allowed here: the record is selected, press Ctrl+C.', 'info');
		}
	});
}

/* dkimKey - one key: its check and the record to publish */
function dkimKey(k) {
	const box = el('div', null, 'dkim-key');
	box.dataset.id = String(k.id);
	box.dataset.status = k.status;
	const head = el('p');
	head.append(el('strong', `id ${k.id}: ${k.selector}._domainkey.${k.domain}`), ' ',
		el('span', k.status, 'badge ' + (DKIM_GOOD.includes(k.status) ? 'ok' : 'bad')), ' ',
		el('span', k.used ? 'used by dkim()' : 'left out of dkim()', 'note'));
	box.append(head);
	const facts = [];
	if (k.checked)
		facts.push('checked ' + timeText(k.checked));
	if (k.verified)
		facts.push('last verified ' + timeText(k.verified));
	if (k.expire)
		facts.push('expires ' + k.expire);
	if (k.detail)
		facts.push(k.detail);
	box.append(el('p', facts.join('; ') || 'never checked', 'note'));
	if (k.record === null) {
		box.append(el('p', 'no record: ' + (k.record_error || 'the key does not read'), 'failed'));
		return box;
	}
	const rec = el('pre', k.record, 'record');
	const bar = el('p', 'TXT record at ' + (k.name || '(domain or selector empty)') + ' ');
	bar.append(copyButton(k.record, rec));
	box.append(bar, rec);
	return box;
}

/* loadDkim - every key of /v1/dkim */
async function loadDkim() {
	const keys = await api('GET', '/v1/dkim');
	$('dkim-keys').replaceChildren(...(keys.length ? keys.map(dkimKey)
		: [el('p', 'No DKIM keys (dkim_keys is empty).', 'note')]));
}

/* ---- patterns ---- */

/* loadPatterns - the flood patterns and response patterns */
async function loadPatterns() {
	const [flood, resp] = await Promise.all([tableRows('flood_responses'),
		tableRows('response_patterns')]);
	grid($('flood-rows'), columnsOf(flood, ['id']), flood);
	grid($('response-rows'), columnsOf(resp, ['id']), resp);
}

/* testPattern - the flood and response lookups of the pasted text */
async function testPattern() {
	const text = $('pattern-text').value;
	const q = (o) => new URLSearchParams(o).toString();
	const where = { text, localip: $('pattern-localip').value.trim(),
		domain: $('pattern-domain').value.trim() };
	const [flood, patterns, actions] = await Promise.all([
		api('GET', '/v1/lookup/flood?' + q({ text })),
		api('GET', '/v1/lookup/response_pattern?' + q(where)),
		api('GET', '/v1/lookup/response?' + q(where)),
		loadPatterns()]);
	const out = $('pattern-result');
	out.replaceChildren();
	const f = Array.isArray(flood) ? flood : [];
	out.append(el('p', f.length ? `Flood pattern: flood_responses id ${f[0].id} ('${f[0].name}', ` +
		`${f[0].type} '${f[0].pattern}')` : 'No flood pattern matches.', 'match-flood'));
	const p = Array.isArray(patterns) ? patterns : [];
	const a = Array.isArray(actions) ? actions : [];
	out.append(el('p', p.length ? `Response patterns: response_patterns id ${p.map((r) => r.id).join(', ')}` +
		` match, in order; ${a.length} action(s) apply:` : 'No response pattern matches.', 'match-response'));
	if (a.length)
		out.append(render(a));
	mark($('flood-rows'), f.map((r) => String(r.id)));
	mark($('response-rows'), p.map((r) => String(r.id)));
}

VIEWS.throttles = {
	load: () => guard('Loading the throttles', loadThrottles),
	wire: () => onSubmit('cascade-form', 'The cascade', explain),
};
VIEWS.dkim = {
	load: () => guard('Loading the DKIM keys', loadDkim),
	wire: () => $('dkim-load').addEventListener('click', () => guard('Loading the DKIM keys', loadDkim)),
};
VIEWS.patterns = {
	load: () => guard('Loading the patterns', loadPatterns),
	wire: () => onSubmit('pattern-form', 'The pattern test', testPattern),
};
