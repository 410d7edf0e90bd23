-- NAME
--	lookup_write.lua - wrk script of bench/lookup_change.sh: API writes
-- SYNOPSIS
--	wrk -t1 -cN -s bench/lookup_write.lua URL -- TOKEN ROWS PER_SECOND N
-- DESCRIPTION
--	POSTs at most PER_SECOND writes a second over N connections (wrk's
--	delay() of N / PER_SECOND seconds between the requests of each),
--	in turn to capacity (an update
--	of one of the ROWS rows bench/lookup_change.sh wrote: its
--	domain_maxmessages), paused and locals (rows with ids of their
--	own, updated again and again).  done() prints one "wrk:" line:
--	requests, answers >= 400 and socket errors.

function init(args)
	token = args[1]
	rows = tonumber(args[2])
	gap = 1000 * tonumber(args[4]) / tonumber(args[3])
	n = 0
end

function delay()
	return gap
end

function request()
	n = n + 1
	local k = n % 3
	local headers = { ["Authorization"] = "Bearer " .. token,
			  ["Content-Type"] = "application/json" }
	local path, body
	if k == 0 then
		path = "/v1/tables/capacity"
		body = string.format('{"id":%d,"domain_maxmessages":%d}',
				     (n * 7919) % rows + 1, n)
	elseif k == 1 then
		path = "/v1/tables/paused"
		body = string.format('{"id":%d,"localip":"192.0.2.%d",' ..
				     '"target":"p%d.example","tag":""}',
				     n % 50 + 1, n % 250 + 1, n)
	else
		path = "/v1/tables/locals"
		body = string.format('{"id":%d,"type":"exact",' ..
				     '"address":"u%d@l.example"}',
				     n % 50 + 1, n)
	end
	return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"wrk: writes %d status_errors %d socket_errors %d\n",
		summary.requests, e.status,
		e.connect + e.read + e.write + e.timeout))
end
