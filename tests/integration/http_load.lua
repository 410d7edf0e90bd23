-- NAME
--	http_load.lua - wrk script: capacity lookups mixed with API writes
-- SYNOPSIS
--	wrk -s http_load.lua URL -- TOKEN ROWS POST_SECONDS
-- DESCRIPTION
--	Every 20th request of a thread is a POST to /v1/tables/locals
--	creating a row with an address of its own (load-THREAD-N@...);
--	the others ask /v1/lookup/capacity for one of the ROWS rows
--	(localip 192.0.2.(i % 250 + 1), domain d<i>.example).  POSTs
--	stop after POST_SECONDS, so that none is in flight when wrk
--	stops and every row written was answered.  Each thread counts
--	its responses by status; done() prints them, the POSTs sent, the
--	socket errors, requests/s and latency percentiles as
--	"load: ..." lines for the test to read.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

function init(args)
	token = args[1]
	rows = tonumber(args[2])
	post_until = os.time() + tonumber(args[3])
	n, posts, counts = 0, 0, {}
	post_headers = {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. token,
	}
end

function request()
	n = n + 1
	if n % 20 == 0 and os.time() < post_until then
		posts = posts + 1
		return wrk.format("POST", "/v1/tables/locals", post_headers,
			string.format('{"address":"load-%d-%d@example.net"}',
				tid, posts))
	end
	local i = n % rows
	return wrk.format("GET", string.format(
		"/v1/lookup/capacity?localip=192.0.2.%d&domain=d%d.example",
		i % 250 + 1, i))
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local total, posts_all = {}, 0
	for _, t in ipairs(threads) do
		for status, k in pairs(t:get("counts")) do
			total[status] = (total[status] or 0) + k
		end
		posts_all = posts_all + t:get("posts")
	end
	for status, k in pairs(total) do
		io.write(string.format("load: status %d %d\n", status, k))
	end
	local e = summary.errors
	io.write(string.format("load: posts %d\n", posts_all))
	io.write(string.format("load: socket errors %d (connect %d read %d write %d timeout %d)\n",
		e.connect + e.read + e.write + e.timeout,
		e.connect, e.read, e.write, e.timeout))
	io.write(string.format("load: requests %d in %.1f s: %.0f requests/s\n",
		summary.requests, summary.duration / 1e6,
		summary.requests / summary.duration * 1e6))
	io.write(string.format("load: latency p50 %.2f ms p99 %.2f ms max %.2f ms\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000))
end
