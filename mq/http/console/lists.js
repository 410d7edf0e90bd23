/*
 * NAME
 *	lists.js - the console's Lists view: counts, split coverage, status
 * DESCRIPTION
 *	Every list of /v1/lists with its counts; a list picked shows its
 *	sublist split (/v1/lists/T/split and split/check) drawn per
 *	domain as the hashes 0-52, each cell covered by an entry in use or
 *	marked as a gap, and the status of its last messages
 *	(/v1/lists/T/status).
 */
'use strict';

const HASHES = 53;		/* sub_hash values 0..52 (docs/lists.md) */

/* loadLists - the lists with their counts; a click shows the list */
async function loadLists() {
	const lists = await api('GET', '/v1/lists');
	const t = $('lists-rows');
	if (!Array.isArray(lists) || !lists.length) {
		t.replaceChildren(el('caption', 'no lists yet (mq list-create T)'));
		return;
	}
	grid(t, keysOf(lists), lists, (l) => wrapCell(
		button('Status', 'List status', () => showListStatus(l.name))));
}

/* coverage - per domain, each hash: 'covered', 'gap' or '' (not split) */
function coverage(entries, gaps) {
	const rows = {};
	const row = (d) => (rows[d] = rows[d] || new Array(HASHES).fill(''));
	for (const e of entries) {
		if (e.notuse)
			continue;
		const r = row(e.domain || '');
		for (let h = Math.max(0, e.hash_lo); h <= Math.min(HASHES - 1, e.hash_hi); h++)
			r[h] = 'covered';
	}
	for (const g of gaps) {
		const r = row(g.domain || '');
		for (let h = Math.max(0, g.hash_lo); h <= Math.min(HASHES - 1, g.hash_hi); h++)
			r[h] = 'gap';
	}
	return rows;
}

/* splitGrid - the coverage as a table: a row per domain, a cell per hash */
function splitGrid(rows) {
	const t = el('table', null, 'split');
	const head = el('tr');
	head.append(el('th', 'domain'));
	for (let h = 0; h < HASHES; h++)
		head.append(el('th', h % 10 ? '' : String(h)));
	t.append(head);
	for (const [domain, cells] of Object.entries(rows)) {
		const tr = el('tr');
		tr.dataset.domain = domain;
		tr.append(el('th', domain || '(other domains)'));
		cells.forEach((c, h) => {
			const td = el('td', null, c);
			td.title = `hash ${h}: ${c || 'not split'}`;
			tr.append(td);
		});
		t.append(tr);
	}
	return t;
}

/* showSplit - the split of list name, drawn, with its gaps listed */
async function showSplit(name) {
	const base = '/v1/lists/' + encodeURIComponent(name) + '/split';
	const [entries, check] = await Promise.all([api('GET', base), api('GET', base + '/check')]);
	const box = $('list-split');
	if (!entries.length) {
		box.replaceChildren(el('p', 'Not split: every subscriber is served by the list itself.', 'note'));
		return;
	}
	const gaps = check.gaps || [];
	box.replaceChildren(el('h3', 'Split coverage'), splitGrid(coverage(entries, gaps)),
		el('p', gaps.length ? `${gaps.length} gap(s): hashes no entry in use covers`
			: 'Every hash is covered.', gaps.length ? 'failed' : 'note'));
}

/* showListStatus - a list's split and the status of its last messages */
async function showListStatus(name) {
	$('list-title').textContent = 'Status of ' + name;
	$('list-title').hidden = false;
	const status = await api('GET', '/v1/lists/' + encodeURIComponent(name) + '/status');
	$('list-status').replaceChildren(el('h3', 'Last messages'), render(status));
	await showSplit(name);
}

VIEWS.lists = {
	load: () => guard('Loading the lists', loadLists),
	wire: () => $('lists-load').addEventListener('click', () => guard('Loading the lists', loadLists)),
};
