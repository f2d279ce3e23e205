-- wrk script for scripts/http_bench.sh. With HTTP_BENCH_POST=1 every request posts a new, unique
-- transaction (wrk thread number + counter); otherwise wrk's own request (GET of the URL) is used.
-- done() prints one machine-readable line that the shell script turns into a table row.
local threads = {}
local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_number", thread_number)
  table.insert(threads, thread)
end

if os.getenv("HTTP_BENCH_POST") == "1" then
  local counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  function request()
    counter = counter + 1
    local body = string.format('{"author": "wrk-%d", "content": "bench post %d from thread %d"}',
                               thread_number, counter, thread_number)
    return wrk.format("POST", "/new_transaction", nil, body)
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d rps=%.0f ok_rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f " ..
    "non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, (summary.requests - summary.errors.status) / seconds,
    latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3,
    latency.max / 1e3, summary.errors.status, errors))
end
