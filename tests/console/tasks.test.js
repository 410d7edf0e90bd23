/*
 * NAME
 *	tasks.test.js - the console's task views in a real headless Chromium
 * SYNOPSIS
 *	MQ_URL=URL MQ_TOKEN=TOKEN MQ_SHOTS=DIR MQ_BIN=MQ MQ_STORE=FILE \
 *	MQ_IDS="pair=N any=N rule=N good=N bad=N" MQ_XSS_SCRIPT=TEXT \
 *	MQ_XSS_IMG=TEXT node tasks.test.js
 * DESCRIPTION
 *	Drives the page of a running mq serve set up by
 *	tests/integration/console_tasks.sh: the dashboard draws its
 *	figures and charts; the cascade explorer names, per limit, the
 *	capacity row or rule that gave it; the DKIM view shows the
 *	verified and the mismatching key with their records; a pause
 *	added in the page is seen by mq lookup paused (MQ_BIN against
 *	MQ_STORE), and resumed is gone from it; a forced error is added
 *	and removed; the pattern tester names the flood pattern; the list
 *	view draws the split with its gap; the rows holding markup render
 *	as their text and run nothing.  A screenshot of each view goes to
 *	DIR/VIEW.png.  Every request must go to MQ_URL; no script error
 *	and no Content-Security-Policy violation may occur.
 * DIAGNOSTICS
 *	One "# step" line per step; exit 0 when all held, else 1 after
 *	"FAILED: step: reason".
 */
'use strict';

const { spawnSync } = require('child_process');
const path = require('path');
const { chromium } = require('playwright-core');

const ENV = process.env;
const BASE = ENV.MQ_URL;
const IDS = Object.fromEntries(String(ENV.MQ_IDS || '').split(' ').map((p) => p.split('=')));
const PAUSED = 'console-pause.example';

/* step - run one named step; the first failure ends the test */
async function step(name, fn) {
	console.log('# ' + name);
	try {
		await fn();
	} catch (e) {
		console.log(`FAILED: ${name}: ${e && e.message ? e.message : e}`);
		throw e;
	}
}

/* expect - throw unless cond, saying what was seen */
function expect(cond, what, seen) {
	if (!cond)
		throw new Error(`${what} (seen: ${JSON.stringify(seen)})`);
}

/* lookupPaused - mq lookup paused for PAUSED: { status, out } */
function lookupPaused() {
	const r = spawnSync(ENV.MQ_BIN, ['lookup', 'paused', '192.0.2.1', PAUSED, '', ''],
		{ env: { ...ENV, MQ_STORE_PATH: ENV.MQ_STORE }, encoding: 'utf8' });
	return { status: r.status, out: r.stdout + r.stderr };
}

/* open - show a view through the menu; wait for selector in it */
async function open(page, view, selector) {
	await page.$eval('#message', (m) => { m.hidden = true; });
	await page.click(`nav a[data-view="${view}"]`);
	await page.waitForSelector(`#view-${view}:not([hidden]) ${selector}, #message.error:not([hidden])`);
	const error = await page.$eval('#message', (m) => (m.hidden || m.className !== 'error' ? null : m.textContent));
	expect(!error, `the ${view} view opens`, error);
}

/* shot - a screenshot of the page as it is, as DIR/NAME.png */
async function shot(page, name) {
	await page.screenshot({ path: path.join(ENV.MQ_SHOTS, name + '.png'), fullPage: true });
}

/* cascadeRow - what the explorer says of one limit */
function cascadeRow(page, limit) {
	return page.$eval(`#cascade-result tr[data-limit="${limit}"]`, (tr) => ({
		level: tr.dataset.level, id: tr.dataset.id,
		value: tr.cells[1].textContent, words: tr.cells[2].textContent,
	}));
}

/* hasText - does a cell under selector hold exactly text? */
function hasText(page, selector, text) {
	return page.$$eval(selector, (cells, t) => cells.some((c) => c.textContent === t), text);
}

async function dashboard(page) {
	await step('the dashboard is the first view and draws its figures', async () => {
		const res = await page.goto(BASE + '/');
		expect(res.status() === 200, 'GET / is 200', res.status());
		await page.waitForSelector('#view-dashboard:not([hidden]) .card[data-card="sequence"]');
		const seq = await page.textContent('.card[data-card="sequence"] strong');
		expect(Number(seq) > 0, 'the store sequence', seq);
		const size = await page.textContent('.card[data-card="store size"] strong');
		expect(/\d (bytes|KB|MB|GB)$/.test(size), 'the store size', size);
		const lists = await page.textContent('.card[data-card="lists"] strong');
		expect(lists === '1', 'one list', lists);
		await page.waitForSelector('#dash-lists td:text-is("news")');
	});
	await step('its charts draw points from /metrics', async () => {
		await page.waitForFunction(() => Number(document.getElementById('chart-rate').dataset.points) >= 2,
			null, { timeout: 15000 });
		const line = await page.$eval('#chart-latency polyline', (p) => p.getAttribute('points'));
		expect(/^[\d.]+,[\d.]+ /.test(line), 'the latency line', line);
		await shot(page, 'dashboard');
	});
	await step('the token is entered', async () => {
		await page.fill('#token', ENV.MQ_TOKEN);
		await page.click('#token-save');
	});
}

async function throttles(page) {
	await step('the throttles view shows the capacity rows and rules', async () => {
		await open(page, 'throttles', '#rules-rows td');
		expect(await hasText(page, '#capacity-rows td', ENV.MQ_XSS_SCRIPT),
			'the <script> name shows as text', ENV.MQ_XSS_SCRIPT);
		expect(await hasText(page, '#capacity-rows td', ENV.MQ_XSS_IMG),
			'the <img> domain shows as text', ENV.MQ_XSS_IMG);
	});
	await step('the cascade explorer names the row or rule of each limit', async () => {
		await page.fill('#cascade-localip', '192.0.2.1');
		await page.fill('#cascade-domain', 'a.example.com');
		await page.click('#cascade-run');
		await page.waitForSelector('#cascade-result tr[data-limit="secure"]');
		const pair = await cascadeRow(page, 'domain_maxmessages');
		expect(pair.level === 'localip+domain' && pair.id === IDS.pair && pair.value === '10' &&
			pair.words.includes(`capacity id ${IDS.pair}`), 'domain_maxmessages from the pair row', pair);
		const rule = await cascadeRow(page, 'domain_maxconnects');
		expect(rule.level === 'rule' && rule.id === IDS.rule && rule.value === '7' &&
			rule.words.includes(`capacity_rules id ${IDS.rule}`) && rule.words.includes('*.example.com'),
			'domain_maxconnects from the rule', rule);
		const any = await cascadeRow(page, 'ip_maxmessages');
		expect(any.level === 'any' && any.id === IDS.any && any.value === '99',
			'ip_maxmessages from the configured default', any);
		const dflt = await cascadeRow(page, 'secure');
		expect(dflt.level === 'default' && dflt.value === '0', 'secure: built-in default', dflt);
		const picked = await page.$$eval('#capacity-rows tr.picked', (t) => t.map((r) => r.cells[0].textContent));
		expect(picked.includes(IDS.pair) && picked.includes(IDS.any), 'the rows used are marked', picked);
		await shot(page, 'throttles');
	});
}

async function dkim(page) {
	await step('the DKIM view shows a verified and a mismatching key', async () => {
		await open(page, 'dkim', '.dkim-key');
		const good = await page.$eval(`.dkim-key[data-id="${IDS.good}"]`, (k) => ({
			status: k.dataset.status, record: k.querySelector('pre.record').textContent,
			text: k.textContent }));
		expect(good.status === 'verified' && /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/=]{40,}$/.test(good.record) &&
			good.text.includes('good._domainkey.example.test'), 'the verified key and its record', good);
		const bad = await page.$eval(`.dkim-key[data-id="${IDS.bad}"]`, (k) => ({
			status: k.dataset.status, text: k.textContent }));
		expect(bad.status === 'mismatch' && /left out/.test(bad.text), 'the mismatching key', bad);
		expect(await page.$$eval('#view-dkim button', (b) => b.filter((x) => x.textContent === 'Copy').length) === 2,
			'a Copy button per record', null);
		await shot(page, 'dkim');
	});
}

async function pauses(page) {
	await step('a pause added in the console is seen by mq lookup paused', async () => {
		await open(page, 'pauses', 'form');
		expect(lookupPaused().status === 1, 'not paused before', lookupPaused());
		await page.fill('#pause-form input[name="domain"]', PAUSED);
		await page.fill('#pause-form input[name="minutes"]', '30');
		await page.click('#pause-add');
		const row = page.locator('#pauses-rows tr', { hasText: PAUSED });
		await row.waitFor();
		const left = await row.locator('td').nth(7).textContent();
		expect(/^(29|30) min/.test(left), 'its time left', left);
		const seen = lookupPaused();
		expect(seen.status === 0 && seen.out.includes(PAUSED), 'mq lookup paused finds it', seen);
		await shot(page, 'pauses');
	});
	await step('resumed in the console, mq lookup paused no longer finds it', async () => {
		await page.locator('#pauses-rows tr', { hasText: PAUSED }).getByRole('button', { name: 'Resume' }).click();
		await page.locator('#pauses-rows tr', { hasText: PAUSED }).waitFor({ state: 'detached' });
		const seen = lookupPaused();
		expect(seen.status === 1, 'not paused after', seen);
	});
	await step('a forced error is added with its markup as text, and removed', async () => {
		await open(page, 'errors', 'form');
		await page.fill('#error-form input[name="domain"]', 'err.example');
		await page.fill('#error-form input[name="code"]', '451');
		await page.fill('#error-form input[name="description"]', ENV.MQ_XSS_IMG);
		await page.click('#error-add');
		const row = page.locator('#errors-rows tr', { hasText: 'err.example' });
		await row.waitFor();
		expect(await hasText(page, '#errors-rows td', ENV.MQ_XSS_IMG), 'the description as text', null);
		expect(await hasText(page, '#errors-rows td', 'until resumed'), 'no expiry: until resumed', null);
		await shot(page, 'errors');
		await row.getByRole('button', { name: 'Resume' }).click();
		await row.waitFor({ state: 'detached' });
	});
}

async function patterns(page) {
	await step('the pattern tester names the flood pattern that matches', async () => {
		await open(page, 'patterns', '#flood-rows td');
		expect(await hasText(page, '#flood-rows td', ENV.MQ_XSS_IMG), 'the <img> name as text', null);
		await page.fill('#pattern-text', '421 4.7.0 Try again later');
		await page.click('#pattern-run');
		await page.waitForSelector('#pattern-result .match-flood');
		const said = await page.textContent('#pattern-result .match-flood');
		expect(/flood_responses id 1 \('slow'/.test(said), 'flood row 1 matches', said);
		const picked = await page.$$eval('#flood-rows tr.picked', (t) => t.map((r) => r.cells[0].textContent));
		expect(picked.length === 1 && picked[0] === '1', 'and is marked', picked);
		const resp = await page.textContent('#pattern-result .match-response');
		expect(/response_patterns id 7 match/.test(resp), 'response pattern 7 matches', resp);
		const rpicked = await page.$$eval('#response-rows tr.picked', (t) => t.map((r) => r.cells[0].textContent));
		expect(rpicked.length === 1 && rpicked[0] === '7', 'and is marked, 8 is not', rpicked);
		await shot(page, 'patterns');
	});
}

async function lists(page) {
	await step('the lists view draws the split coverage with its gap', async () => {
		await open(page, 'lists', '#lists-rows td');
		await page.locator('#lists-rows tr', { hasText: 'news' }).getByRole('button', { name: 'Status' }).click();
		await page.waitForSelector('table.split tr[data-domain="org"]');
		const cells = await page.$eval('table.split tr[data-domain="org"]', (tr) =>
			[...tr.querySelectorAll('td')].map((td) => td.className));
		const gaps = cells.map((c, h) => (c === 'gap' ? h : -1)).filter((h) => h >= 0);
		expect(cells.length === 53 && gaps.join() === '21,22,23,24,25,26,27,28,29',
			'hashes 21-29 marked as the gap, the others covered', cells);
		await shot(page, 'lists');
	});
	await step('the generic editor remains as All tables', async () => {
		await open(page, 'tables', '#table-rows td');
		await shot(page, 'tables');
	});
}

async function run(page, seen) {
	await dashboard(page);
	await throttles(page);
	await dkim(page);
	await pauses(page);
	await patterns(page);
	await lists(page);
	await step('no markup from the store ran', async () => {
		const xss = await page.evaluate(() => window.__xss);
		expect(xss === undefined, 'window.__xss', xss);
		const imgs = await page.$$eval('img', (i) => i.length);
		expect(imgs === 0, 'no img element', imgs);
	});
	await step('the page asked nothing but the mq server', async () => {
		const other = seen.requests.filter((u) => !u.startsWith(BASE + '/') && !u.startsWith('data:'));
		expect(other.length === 0, 'requests elsewhere', other);
	});
	await step('no script error and no CSP violation', async () => {
		expect(seen.errors.length === 0, 'errors', seen.errors);
	});
}

async function main() {
	for (const v of ['MQ_URL', 'MQ_TOKEN', 'MQ_SHOTS', 'MQ_BIN', 'MQ_STORE', 'MQ_IDS', 'MQ_XSS_SCRIPT', 'MQ_XSS_IMG'])
		if (!ENV[v])
			throw new Error(`${v} is not set (see the file's SYNOPSIS)`);
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const seen = { requests: [], errors: [] };
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
		page.setDefaultTimeout(15000);
		page.on('request', (r) => seen.requests.push(r.url()));
		page.on('pageerror', (e) => seen.errors.push('pageerror: ' + e.message));
		page.on('console', (m) => {
			if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
				seen.errors.push('console: ' + m.text());
		});
		page.on('dialog', (d) => d.accept());
		await run(page, seen);
	} finally {
		await browser.close();
	}
}

main().then(() => {
	console.log('# all steps held');
}, (e) => {
	if (!/^FAILED/.test(String(e)))
		console.log(String(e && e.stack ? e.stack : e));
	process.exit(1);
});
