-- NAME
--	http_lookup.lua - wrk script of bench/http.sh: capacity lookups
-- SYNOPSIS
--	wrk -s bench/http_lookup.lua URL -- ROWS
-- DESCRIPTION
--	Each request asks /v1/lookup/capacity for one of ROWS rows
--	(localip 192.0.2.(i % 250 + 1), domain d<i>.example, the rows
--	bench/http.sh writes), stepping through them in a scattered
--	order.  nginx, which serves one fixed body for every path, gets
--	the same requests.  done() prints one "wrk:" line: requests/s,
--	p50 and p99 in ms, answers >= 400 and socket errors.

function init(args)
	rows = tonumber(args[1])
	n = 0
end

function request()
	n = n + 1
	local i = (n * 7919) % rows
	return wrk.format("GET", string.format(
		"/v1/lookup/capacity?localip=192.0.2.%d&domain=d%d.example",
		i % 250 + 1, i))
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"wrk: %.0f requests/s p50 %.3f ms p99 %.3f ms requests %d status_errors %d socket_errors %d\n",
		summary.requests / summary.duration * 1e6,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		summary.requests, e.status,
		e.connect + e.read + e.write + e.timeout))
end
