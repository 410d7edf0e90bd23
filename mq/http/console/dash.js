/*
 * NAME
 *	dash.js - the console's dashboard: the server at a glance
 * DESCRIPTION
 *	Cards (store size, sequence, last load from SQL and its result,
 *	lookups per second, request latency, lists) and two small live
 *	charts, from /metrics and /health every DASH_EVERY_MS while the
 *	view is shown; the lists' counts from /v1/lists.  A rate is the
 *	difference of two counters over the time between the two reads,
 *	so the first read draws no point.
 */
'use strict';

const DASH_EVERY_MS = 2000;
const DASH_POINTS = 60;		/* samples a chart keeps */
const SVG_NS = 'http://www.w3.org/2000/svg';

const dash = { last: null, rate: [], latency: [] };

/* metricSums - Prometheus text as { name: sum over its label sets } */
function metricSums(text) {
	const sums = {};
	for (const line of String(text).split('\n')) {
		const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
		if (!m || line.startsWith('#'))
			continue;
		const v = Number(m[3]);
		if (Number.isFinite(v))
			sums[m[1]] = (sums[m[1]] || 0) + v;
	}
	return sums;
}

/* bytesText - a size in bytes as KB, MB or GB */
function bytesText(n) {
	const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

/* timeText - unix seconds as UTC text */
function timeText(secs) {
	return new Date(secs * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/* card - one figure with its caption; bad marks it as a failure */
function card(caption, value, bad) {
	const d = el('div', null, 'card' + (bad ? ' bad' : ''));
	d.dataset.card = caption;
	d.append(el('span', caption, 'note'), el('strong', value));
	return d;
}

/* sample - the rates since the last read, kept for the charts */
function sample(m, now) {
	const prev = dash.last;
	dash.last = { m, now };
	if (!prev || now <= prev.now)
		return null;
	const secs = (now - prev.now) / 1000;
	const d = (name) => Math.max(0, (m[name] || 0) - (prev.m[name] || 0));
	const n = d('mq_http_request_duration_seconds_count');
	const s = {
		rate: d('mq_lookups_total') / secs,
		latency: n ? d('mq_http_request_duration_seconds_sum') / n * 1000 : 0,
	};
	for (const k of ['rate', 'latency']) {
		dash[k].push(s[k]);
		if (dash[k].length > DASH_POINTS)
			dash[k].shift();
	}
	return s;
}

/* chart - draw points into svg as a line scaled to its highest point */
function chart(svg, points) {
	const w = 300, h = 80, top = Math.max(...points, 1e-9);
	const line = document.createElementNS(SVG_NS, 'polyline');
	const at = (v, i) => `${(i * w / (DASH_POINTS - 1)).toFixed(1)},${(h - 4 - v / top * (h - 8)).toFixed(1)}`;
	line.setAttribute('points', points.map(at).join(' '));
	line.setAttribute('class', 'line');
	const base = document.createElementNS(SVG_NS, 'line');
	for (const [k, v] of [['x1', 0], ['x2', w], ['y1', h - 4], ['y2', h - 4]])
		base.setAttribute(k, v);
	base.setAttribute('class', 'axis');
	svg.replaceChildren(base, line);
	svg.dataset.points = String(points.length);
}

/* loadCard - the last load from SQL, from /health */
function loadCard(h) {
	if (!h || !h.sql)
		return card('last load from SQL', 'no database-address');
	if (!h.last_load_time)
		return card('last load from SQL', 'none yet');
	return card('last load from SQL', `${h.last_load_ok ? 'ok' : 'FAILED'} at ` +
		timeText(h.last_load_time), !h.last_load_ok);
}

/* loadDashboard - read /metrics, /health and /v1/lists; draw */
async function loadDashboard() {
	const [metrics, health, lists] = await Promise.all([
		api('GET', '/metrics'), request('GET', '/health'), api('GET', '/v1/lists')]);
	const m = metricSums(metrics);
	const s = sample(m, Date.now());
	const h = health.data && typeof health.data === 'object' ? health.data : null;
	$('dash-cards').replaceChildren(
		card('store size', bytesText(m.mq_store_file_bytes || 0)),
		card('sequence', String(m.mq_store_sequence || 0)),
		loadCard(h),
		card('loads / failed', `${m.mq_reloads_total || 0} / ${m.mq_reload_failures_total || 0}`,
			(m.mq_reload_failures_total || 0) > 0),
		card('lookups / s', s ? s.rate.toFixed(1) : '…'),
		card('mean latency', s ? s.latency.toFixed(2) + ' ms' : '…'),
		card('lists', String(Array.isArray(lists) ? lists.length : 0)),
		card('DKIM keys left out', String(m.mq_dkim_keys_left_out || 0),
			(m.mq_dkim_keys_left_out || 0) > 0));
	chart($('chart-rate'), dash.rate);
	chart($('chart-latency'), dash.latency);
	$('chart-rate-now').textContent = s ? s.rate.toFixed(1) + ' /s now' : '';
	$('chart-latency-now').textContent = s ? s.latency.toFixed(2) + ' ms now' : '';
	if (Array.isArray(lists) && lists.length)
		grid($('dash-lists'), keysOf(lists), lists);
	else
		$('dash-lists').replaceChildren(el('caption', 'no lists yet (mq list-create T)'));
}

VIEWS.dashboard = {
	load: () => guard('Loading the dashboard', loadDashboard),
	every: DASH_EVERY_MS,
};
