-- One request shape for a whole wrk run, read from a file the harness writes:
-- "METHOD PATH", header lines, a blank line, the body. wrk adds Host and Content-Length.
-- At the end, one JSON line with the counts and latency percentiles for the harness to read.
-- For add_book the harness appends fresh_isbn.lua, whose request() makes each body new.

body_template = nil
run_prefix = "979800"

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local text = file:read("*a")
  file:close()
  run_prefix = args[2] or run_prefix
  local head, body = text:match("^(.-)\r\n\r\n(.*)$")
  local first = true
  for line in head:gmatch("[^\r\n]+") do
    if first then
      wrk.method, wrk.path = line:match("^(%S+) (%S+)$")
      first = false
    else
      local name, value = line:match("^([^:]+): (.*)$")
      wrk.headers[name] = value
    end
  end
  if body:find("{ISBN}", 1, true) then
    body_template = body
  elseif #body > 0 then
    wrk.body = body
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50_us":%.1f,"p99_us":%.1f}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(99)))
end
