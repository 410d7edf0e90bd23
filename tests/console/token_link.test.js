/*
 * NAME
 *	token_link.test.js - the console opened from ./build.sh run's link writes at once
 * SYNOPSIS
 *	MQ_LINK=http://127.0.0.1:PORT/#token=TOKEN node token_link.test.js
 * DESCRIPTION
 *	Opens the link `./build.sh run` printed (started by
 *	tests/integration/quick_start.sh) in a real headless Chromium: the
 *	page takes the token from the fragment, says so, removes it from
 *	the address, and saves a capacity row through the form without the
 *	token being typed.  No script error may occur.
 * DIAGNOSTICS
 *	One "# step" line per step; exit 0 when all held, else 1 after
 *	"FAILED: step: reason".
 */
'use strict';

const { chromium } = require('playwright-core');

const LINK = process.env.MQ_LINK;
const LIMIT = '4711';

async function step(name, fn) {
	console.log('# ' + name);
	try {
		await fn();
	} catch (e) {
		console.log(`FAILED: ${name}: ${e && e.message ? e.message : e}`);
		throw e;
	}
}

function expect(cond, what, seen) {
	if (!cond)
		throw new Error(`${what} (seen: ${JSON.stringify(seen)})`);
}

async function run(page, errors) {
	await step('the link opens the console', async () => {
		const res = await page.goto(LINK);
		expect(res.status() === 200, 'GET / is 200', res.status());
	});
	await step('the page took the token from the link', async () => {
		await page.waitForFunction(() =>
			document.getElementById('token-state').textContent === 'token set');
		const href = await page.evaluate(() => location.href);
		expect(!href.includes('token='), 'the token left the address bar', href);
	});
	await step('a capacity row is saved without typing the token', async () => {
		await page.click('nav a[data-view="tables"]');
		await page.waitForSelector('#table-select option[value="capacity"]', { state: 'attached' });
		await page.selectOption('#table-select', 'capacity');
		await page.waitForSelector('#row-fields input[name="domain_maxmessages"]');
		await page.fill('#row-fields input[name="localip"]', '192.0.2.77');
		await page.fill('#row-fields input[name="domain"]', 'quickstart.example');
		await page.fill('#row-fields input[name="domain_maxmessages"]', LIMIT);
		await page.$eval('#message', (m) => { m.hidden = true; });
		await page.click('#row-save');
		await page.waitForSelector('#message:not([hidden])');
		const m = await page.$eval('#message', (e) => ({ text: e.textContent, kind: e.className }));
		expect(m.kind === 'info' && m.text.includes(LIMIT), 'the stored row', m);
	});
	await step('no script error', async () => {
		expect(errors.length === 0, 'errors', errors);
	});
}

async function main() {
	if (!LINK)
		throw new Error('MQ_LINK is not set (see the file\'s SYNOPSIS)');
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync'],
	});
	const errors = [];
	try {
		const page = await browser.newPage();
		page.setDefaultTimeout(10000);
		page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
		page.on('console', (m) => {
			if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
				errors.push('console: ' + m.text());
		});
		await run(page, errors);
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
