/*
 * NAME
 *	console.test.js - mq's management console in a real headless Chromium
 * SYNOPSIS
 *	MQ_URL=http://127.0.0.1:PORT MQ_TOKEN=TOKEN MQ_SCREENSHOT=FILE \
 *	MQ_LIST=T node console.test.js
 * DESCRIPTION
 *	Drives the page served by a running mq serve (started by
 *	tests/integration/console.sh with www-token TOKEN, and list T
 *	holding two subscribers and one processed message) as a user would: a capacity lookup, a
 *	write refused without the token and its error shown, the token
 *	entered, a capacity row added through the form, the same lookup
 *	answering the new limit, the row changed and deleted again, the
 *	lists and status views.  Saves a screenshot of the changed lookup to FILE.
 *	Every request the page makes must go to MQ_URL; no script error
 *	and no Content-Security-Policy violation may occur.
 * DIAGNOSTICS
 *	One "# step" line per step; exit 0 when all held, else 1 after
 *	"FAILED: step: reason".
 */
'use strict';

const { chromium } = require('playwright-core');

const BASE = process.env.MQ_URL;
const TOKEN = process.env.MQ_TOKEN;
const SHOT = process.env.MQ_SCREENSHOT;
const LIST = process.env.MQ_LIST;
const LOCALIP = '192.0.2.10';
const DOMAIN = 'console.example';
const LIMIT = '4242';		/* domain_maxmessages of the added row */
const CHANGED = '4343';		/* and after editing it */

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

/* lookupLimit - run the capacity lookup in the page; domain_maxmessages */
async function lookupLimit(page) {
	await page.click('nav a[data-view="lookup"]');
	await page.selectOption('#lookup-kind', 'capacity');
	await page.fill('#lookup-fields input[name="localip"]', LOCALIP);
	await page.fill('#lookup-fields input[name="domain"]', DOMAIN);
	await page.$eval('#lookup-result', (e) => e.replaceChildren());
	await hide(page);
	await page.click('#lookup-run');
	await answered(page, '#lookup-result > table');
	return page.$eval('#lookup-result > table', (t) => {
		const row = [...t.rows].find((r) => r.cells[0].textContent === 'domain_maxmessages');
		return row ? row.cells[1].textContent : null;
	});
}

/* answered - wait for selector, or fail with the error the page shows */
async function answered(page, selector) {
	await page.waitForSelector(`${selector}, #message.error:not([hidden])`);
	const error = await page.$eval('#message', (m) => (m.hidden ? null : m.textContent));
	if (error && !(await page.$(selector)))
		throw new Error('the page says: ' + error);
}

/* message - the text and kind of the page's message bar */
async function message(page) {
	await page.waitForSelector('#message:not([hidden])');
	return page.$eval('#message', (m) => ({ text: m.textContent, kind: m.className }));
}

/* fillCapacityRow - pick the capacity table and fill the form */
async function fillCapacityRow(page) {
	await page.click('nav a[data-view="tables"]');
	await page.waitForSelector('#table-select option[value="capacity"]', { state: 'attached' });
	await page.selectOption('#table-select', 'capacity');
	await page.waitForSelector('#row-fields input[name="domain_maxmessages"]');
	await page.fill('#row-fields input[name="localip"]', LOCALIP);
	await page.fill('#row-fields input[name="domain"]', DOMAIN);
	await page.fill('#row-fields input[name="domain_maxmessages"]', LIMIT);
}

/* hide - the message bar, so the next step sees a new one */
async function hide(page) {
	await page.$eval('#message', (m) => { m.hidden = true; });
}

/* run - the steps; resolves when all held */
async function run(page, seen) {
	let before;

	await step('the console loads from the binary', async () => {
		const res = await page.goto(BASE + '/');
		expect(res.status() === 200, 'GET / is 200', res.status());
		expect((await page.title()) === 'mq console', 'the title', await page.title());
	});
	await step('the header shows the health', async () => {
		await page.waitForFunction(() => /health: ok/.test(document.getElementById('health').textContent));
	});
	await step('a capacity lookup answers the default', async () => {
		before = await lookupLimit(page);
		expect(before !== null && before !== LIMIT, 'domain_maxmessages before the row', before);
	});
	await step('a write without the token shows the server\'s error', async () => {
		await fillCapacityRow(page);
		await hide(page);
		await page.click('#row-save');
		const m = await message(page);
		expect(m.kind === 'error' && /HTTP 401/.test(m.text) && /token/i.test(m.text),
			'a 401 naming the token', m);
	});
	await step('the token is entered and kept for the tab only', async () => {
		await page.fill('#token', TOKEN);
		await page.click('#token-save');
		const kept = await page.evaluate(() => sessionStorage.getItem('mq-www-token'));
		expect(kept === TOKEN, 'the token in sessionStorage', kept);
		const local = await page.evaluate(() => localStorage.length);
		expect(local === 0, 'nothing in localStorage', local);
	});
	await step('a bad value shows the 400 naming the column', async () => {
		await page.fill('#row-fields input[name="domain_maxmessages"]', 'lots');
		await hide(page);
		await page.click('#row-save');
		const m = await message(page);
		expect(m.kind === 'error' && /HTTP 400/.test(m.text) && /domain_maxmessages/.test(m.text),
			'a 400 naming domain_maxmessages', m);
		const kept = await page.inputValue('#row-fields input[name="domain"]');
		expect(kept === DOMAIN, 'the form keeps what was typed', kept);
	});
	await step('a capacity row is added through the form', async () => {
		await page.fill('#row-fields input[name="domain_maxmessages"]', LIMIT);
		await hide(page);
		await page.click('#row-save');
		const m = await message(page);
		expect(m.kind === 'info' && m.text.includes(LIMIT), 'the stored row', m);
		await page.waitForSelector(`#table-rows td:text-is("${LIMIT}")`);
	});
	await step('the same lookup answers the new limit', async () => {
		const after = await lookupLimit(page);
		expect(after === LIMIT, `domain_maxmessages changed from ${before} to ${LIMIT}`, after);
		await page.screenshot({ path: SHOT, fullPage: true });
	});
	await step('the lists view shows the list and its status', async () => {
		await hide(page);
		await page.click('nav a[data-view="lists"]');
		await answered(page, `#lists-rows td:text-is("${LIST}")`);
		const row = page.locator('#lists-rows tr', { hasText: LIST });
		await hide(page);
		await row.getByRole('button', { name: 'Status' }).click();
		await answered(page, '#list-status table');
		const title = await page.textContent('#list-title');
		expect(title.includes(LIST), 'the status title', title);
		const subs = await page.$eval('#lists-rows', (t, list) => {
			const col = [...t.rows[0].cells].findIndex((c) => c.textContent === 'subscribers');
			const row = [...t.rows].find((r) => r.cells[0].textContent === list);
			return col < 0 || !row ? null : row.cells[col].textContent;
		}, LIST);
		expect(subs === '2', 'two subscribers in the list\'s row', subs);
		const status = await page.textContent('#list-status');
		expect(/msgnum/.test(status) && /processed/.test(status), 'message 1 in the status', status);
	});
	await step('a list\'s table waits for Show rows', async () => {
		await page.click('nav a[data-view="tables"]');
		await page.selectOption('#table-select', LIST);
		await page.waitForFunction(() => /filter/.test(document.getElementById('table-count').textContent));
		const rows = await page.$$eval('#table-rows tr', (t) => t.length);
		expect(rows === 0, 'no rows fetched yet', rows);
		await page.click('#table-load');
		await answered(page, '#table-rows td:text-is("ann@example.org")');
		await page.selectOption('#table-select', 'capacity');
	});
	await step('the status view shows health and metrics', async () => {
		await page.click('nav a[data-view="status"]');
		await page.waitForSelector('#status-health table');
		await page.waitForFunction(() => /^mq_/m.test(document.getElementById('status-metrics').textContent));
		const health = await page.textContent('#status-health');
		expect(/status/.test(health) && /ok/.test(health), 'the health table', health);
	});
	await step('the row is changed through the page', async () => {
		await page.click('nav a[data-view="tables"]');
		const rows = await page.$$eval('#table-rows tr', (t) => t.length);
		await page.locator('#table-rows tr', { hasText: LIMIT })
			.getByRole('button', { name: 'Edit' }).click();
		const shown = await page.inputValue('#row-fields input[name="domain_maxmessages"]');
		expect(shown === LIMIT, 'the form holds the row', shown);
		await page.fill('#row-fields input[name="domain_maxmessages"]', CHANGED);
		await hide(page);
		await page.click('#row-save');
		const m = await message(page);
		expect(m.kind === 'info' && m.text.includes(CHANGED), 'the changed row', m);
		await page.waitForSelector(`#table-rows td:text-is("${CHANGED}")`);
		const now = await page.$$eval('#table-rows tr', (t) => t.length);
		expect(now === rows, `still ${rows - 1} rows: changed, not added`, now - 1);
		const after = await lookupLimit(page);
		expect(after === CHANGED, 'the lookup answers the changed limit', after);
	});
	await step('the row is deleted through the page', async () => {
		await page.click('nav a[data-view="tables"]');
		const row = page.locator('#table-rows tr', { hasText: CHANGED });
		await row.getByRole('button', { name: 'Delete' }).click();
		const m = await message(page);
		expect(m.kind === 'info' && /1 row\(s\) deleted/.test(m.text), 'one row deleted', m);
		await row.waitFor({ state: 'detached' });
		const again = await lookupLimit(page);
		expect(again === before, 'the lookup answers the default again', again);
	});
	await step('the page asked nothing but the mq server', async () => {
		const other = seen.requests.filter((u) => !u.startsWith(BASE + '/') && !u.startsWith('data:'));
		expect(other.length === 0, 'requests elsewhere', other);
		expect(seen.requests.length > 5, 'the page made its requests', seen.requests.length);
	});
	await step('no script error and no CSP violation', async () => {
		expect(seen.errors.length === 0, 'errors', seen.errors);
	});
}

/* main - launch Chromium, record what the page does, run the steps */
async function main() {
	for (const v of ['MQ_URL', 'MQ_TOKEN', 'MQ_SCREENSHOT', 'MQ_LIST'])
		if (!process.env[v])
			throw new Error(`${v} is not set (see the file's SYNOPSIS)`);
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync'],
	});
	const seen = { requests: [], errors: [] };
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
		page.setDefaultTimeout(10000);
		page.on('request', (r) => seen.requests.push(r.url()));
		page.on('pageerror', (e) => seen.errors.push('pageerror: ' + e.message));
		page.on('console', (m) => {
			/* a 4xx answer is logged by Chromium itself: expected */
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
